"""Kill a real ``rrbench eval`` subprocess with SIGKILL at chosen points, then resume it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from cli_runner import RRBENCH


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def eval_args(task: str, model: str, out: Path) -> list[str]:
    return RRBENCH + ["eval", "--task", task, "--model", model, "--output-dir", str(out), "--no-progress"]


def kill_when(args: list[str], predictions: Path, at_lines: int, timeout: float = 120) -> bool:
    """Start ``args``; SIGKILL it once ``predictions`` has ``at_lines`` lines. False if it finished first."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if count_lines(predictions) >= at_lines:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def crash_and_resume(task: str, model: str, out: Path, kill_points: list[int]) -> int:
    """Kill at each point in turn (each a resume of the last), then finish; returns kills that landed."""
    predictions = out / "predictions.jsonl"
    landed = sum(kill_when(eval_args(task, model, out), predictions, point) for point in sorted(kill_points))
    final = subprocess.run(eval_args(task, model, out), capture_output=True, text=True)
    if final.returncode != 0:
        raise RuntimeError(f"resumed run failed: {final.stderr.strip().splitlines()[-1:]}")
    return landed
