"""Shared fixtures: a small dataset folder in the local format, with real MP4s."""

from __future__ import annotations

from pathlib import Path

import pytest

from video_fixtures import small_benchmark_rows, write_dataset

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder: 8 videos over 3 subsets, with clips and augmented names."""
    return write_dataset(tmp_path_factory.mktemp("small") / "data", small_benchmark_rows())
