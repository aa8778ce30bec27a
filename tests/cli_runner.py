"""Run the real ``rrbench`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


RRBENCH = [sys.executable, "-m", "roboreward_bench.cli.main"]  # the installed command, as a subprocess


def rrbench(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m roboreward_bench.cli.main ARGS``; returns the completed process (text mode)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*RRBENCH, *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(process: subprocess.CompletedProcess, *needles: str) -> str:
    """The process failed with a single ``rrbench: error:`` line containing every needle, and no traceback."""
    assert process.returncode != 0, process.stdout
    assert "Traceback" not in process.stderr, process.stderr
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("rrbench: error:")]
    assert len(errors) == 1, process.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]
