"""One writer per run folder, prompt Ctrl-C with a resumable folder, and fail-fast on unusable videos.

Real subprocesses, real signals, a real loopback HTTP server that hangs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cli_runner import RRBENCH, assert_one_line_error, rrbench
from loopback_server import LoopbackServer, Reply
from roboreward_bench.results.predictions import read_predictions

ENV = {"RRB_TEST_KEY": "sk-test-not-a-secret"}


def _args(server: LoopbackServer, dataset: Path, out: Path, limit: int = 8, **model_args) -> list[str]:
    settings = {"base_url": server.base_url, "api_key_env": "RRB_TEST_KEY", "concurrency": 2, **model_args}
    return ["eval", "--task", str(dataset), "--model", "openai:test-model", "--model-args",
            ",".join(f"{k}={v}" for k, v in settings.items()), "--limit", str(limit), "--output-dir", str(out),
            "--no-cache", "--no-progress"]


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*RRBENCH, *args], env={**os.environ, **ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip()) if path.exists() else 0


def test_second_writer_is_refused_naming_the_holder_and_a_dead_holder_does_not_block(small_dataset, tmp_path):
    out = tmp_path / "run"
    with LoopbackServer(plan=[Reply(text="ANSWER: 3")] * 2, default=Reply(delay=30)) as server:
        first = _start(_args(server, small_dataset, out, concurrency=1, batch_size=1))
        try:
            _wait_for(lambda: _lines(out / "predictions.jsonl") >= 2 and server.in_flight >= 1)
            started = time.monotonic()
            second = rrbench(*_args(server, small_dataset, out), env=ENV, timeout=60)
            assert time.monotonic() - started < 20
            assert_one_line_error(second, str(out), f"another rrbench (PID {first.pid}) is writing")
            assert second.returncode == 2
        finally:
            first.send_signal(signal.SIGKILL)  # the holder dies without cleaning up
            first.wait(timeout=30)
        answered = {r.item_id: r for r in read_predictions(out / "predictions.jsonl", allow_partial_last_line=True)}
        assert (out / ".rrbench.lock").exists()
        server.default = Reply(text="ANSWER: 2")
        third = rrbench(*_args(server, small_dataset, out), env=ENV, timeout=120)
    assert third.returncode == 0, third.stderr
    records = read_predictions(out / "predictions.jsonl")
    assert len(records) == len({r.item_id for r in records}) == 8
    final = {r.item_id: r for r in records}
    assert all(final[i] == r for i, r in answered.items())  # nothing answered before was lost or redone


def test_first_ctrl_c_stops_within_five_seconds_resumably_without_retrying(small_dataset, tmp_path):
    out = tmp_path / "run"
    # Two quick answers, then a server that hangs; default settings would retry a timeout 5 times.
    # All in one batch (4 × concurrency): the two answers that arrived must still be saved.
    with LoopbackServer(plan=[Reply(text="ANSWER: 3")] * 2, default=Reply(delay=60)) as server:
        process = _start(_args(server, small_dataset, out, timeout=30, concurrency=4))
        _wait_for(lambda: len(server.seen) >= 6 and server.in_flight >= 4)
        asked = len(server.seen)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        finally:
            process.kill()
        elapsed = time.monotonic() - started
        stderr = process.stderr.read()
        assert process.returncode == 130, stderr
        assert elapsed < 5.0, elapsed
        assert "Traceback" not in stderr and "Run the same command to resume" in stderr
        time.sleep(1.0)
        assert len(server.seen) == asked  # in-flight requests were cancelled, not retried, and nothing new sent
        answered = {r.item_id: r for r in read_predictions(out / "predictions.jsonl", allow_partial_last_line=True)}
        assert len(answered) == 2 and all(r.error is None for r in answered.values())
        server.default = Reply(text="ANSWER: 4")
        resumed = rrbench(*_args(server, small_dataset, out, timeout=30), env=ENV, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    records = read_predictions(out / "predictions.jsonl")
    assert len(records) == len({r.item_id for r in records}) == 8
    assert all({r.item_id: r for r in records}[i] == r for i, r in answered.items())


_STUCK_FLUSH = textwrap.dedent("""
    import sys, time
    from roboreward_bench import interrupt
    interrupt.install()
    try:
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("flushing", flush=True)
        time.sleep(60)  # a flush that hangs (a stuck disk, a model call in C)
""")


@pytest.mark.parametrize("signals,limit", [(1, 5.0), (2, 1.5)])
def test_ctrl_c_cannot_be_held_by_a_stuck_flush(signals, limit):
    """One Ctrl-C: the watchdog ends a stuck process within 5 s; a second Ctrl-C ends it at once."""
    process = subprocess.Popen([sys.executable, "-c", _STUCK_FLUSH], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.stdout.readline().strip() == "flushing"
        if signals == 2:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 130
    assert time.monotonic() - started < limit
    stderr = process.stderr.read()
    assert ("interrupted again" in stderr) == (signals == 2)


def _dataset_copy(small_dataset: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(small_dataset, copy)
    return copy


@pytest.mark.parametrize("damage", ["missing", "empty", "folder"])
def test_unusable_videos_fail_before_any_model_is_built(small_dataset, tmp_path, damage):
    data = _dataset_copy(small_dataset, tmp_path)
    video = data / "alpha" / "episode_0.mp4"
    video.unlink()
    if damage == "empty":
        video.write_bytes(b"")
    elif damage == "folder":
        video.mkdir()
    # A model that could not even be built: the video check must come first.
    done = rrbench("eval", "--task", str(data), "--model", f"hf:{tmp_path / 'no-such-model'}",
                   "--output-dir", str(tmp_path / "run"), "--no-progress", timeout=120)
    line = assert_one_line_error(done, str(video), "unusable video")
    assert "model" not in line.split("unusable video")[0]
    assert not (tmp_path / "run").exists()


def test_allow_errors_scores_missing_videos_as_errors_unless_all_are_missing(small_dataset, tmp_path):
    data = _dataset_copy(small_dataset, tmp_path)
    (data / "alpha" / "episode_0.mp4").unlink()
    done = rrbench("eval", "--task", str(data), "--model", "random", "--output-dir", str(tmp_path / "run"),
                   "--no-progress", "--allow-errors", timeout=120)
    assert done.returncode == 0, done.stderr
    errors = [r for r in read_predictions(tmp_path / "run" / "predictions.jsonl") if r.error]
    assert errors and all("alpha/episode_0.mp4" in r.item_id for r in errors)
    for video in data.rglob("*.mp4"):
        video.unlink()
    nothing = rrbench("eval", "--task", str(data), "--model", "random", "--output-dir", str(tmp_path / "run2"),
                      "--no-progress", "--allow-errors", timeout=120)
    assert_one_line_error(nothing, "items have an unusable video")
    assert json.loads((tmp_path / "run" / "results.json").read_text())["counts"]["errors"] == len(errors)
