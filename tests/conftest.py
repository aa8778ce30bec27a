"""Shared fixtures: a small dataset folder in the local format (real MP4s) and a headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from video_fixtures import small_benchmark_rows, write_dataset

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def private_response_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep every test's response cache (in-process and in subprocesses) out of the user's ~/.cache."""
    import os

    previous = os.environ.get("RRBENCH_CACHE_DIR")
    os.environ["RRBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("response-cache"))
    yield
    if previous is None:
        os.environ.pop("RRBENCH_CACHE_DIR", None)
    else:
        os.environ["RRBENCH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder: 8 videos over 3 subsets, with clips and augmented names."""
    return write_dataset(tmp_path_factory.mktemp("small") / "data", small_benchmark_rows())


# Debian's Chromium, as root, on a machine whose only network is loopback: without the
# background-networking flags it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (/usr/bin/chromium) driven by Playwright."""
    from playwright.sync_api import sync_playwright  # a dev dependency: missing means broken, not skipped

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
