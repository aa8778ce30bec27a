"""Pytest fixtures for model tests: tiny offline Qwen-VL checkpoints, real requests, loopback servers.

Import the fixtures you need into a test module (``from conftest_models import
tiny_qwen25_dir``) or star-import them from ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tiny_models import make_request, tiny_model_dir, write_test_video

VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def tiny_qwen25_dir() -> Path:
    """A tiny random Qwen2.5-VL checkpoint folder (built once, cached across runs)."""
    return tiny_model_dir("qwen2.5-vl")


@pytest.fixture(scope="session")
def tiny_qwen3_dir() -> Path:
    """A tiny random Qwen3-VL checkpoint folder (built once, cached across runs)."""
    return tiny_model_dir("qwen3-vl")


@pytest.fixture(scope="session")
def sample_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four small real MP4s (112 px, 24 frames, 10 fps), each with different content."""
    root = tmp_path_factory.mktemp("videos")
    return [write_test_video(root / f"episode_{i}.mp4", seed=i) for i in range(4)]


@pytest.fixture(scope="session")
def sample_requests(sample_videos: list[Path]) -> list:
    """Four real requests: rubric text + 8 frames decoded from the test videos."""
    instructions = ("push the red block left", "open the drawer", "pick up the cup and place it in the bin",
                    "close the window")
    return [make_request(f"item-{i}", video, text)
            for i, (video, text) in enumerate(zip(sample_videos, instructions))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_tiny_model(tiny_qwen25_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``transformers serve`` on 127.0.0.1 with the tiny Qwen2.5-VL; yields its base URL."""
    home = tmp_path_factory.mktemp("hf-home")
    (home / "hub").mkdir()
    port = free_port()
    env = {**os.environ, "HF_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    log = (home / "serve.log").open("w")
    process = subprocess.Popen([str(VENV_BIN / "transformers"), "serve", str(tiny_qwen25_dir), "--host",
                                "127.0.0.1", "--port", str(port), "--device", "cpu"],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"transformers serve exited: {(home / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("transformers serve did not become healthy within 120 s")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
