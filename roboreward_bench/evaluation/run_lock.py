"""One writer per run folder: an OS advisory lock on ``<run folder>/.rrbench.lock``.

The lock is ``flock`` on an open file, so the kernel releases it when the
holder exits in any way (kill -9 included): a lock file left behind by a dead
process never blocks the next run. The file holds the holder's PID, which the
refused second writer names in its one-line error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from roboreward_bench.errors import RRBenchError

LOCK_FILE = ".rrbench.lock"


class RunFolderBusy(RRBenchError):
    """Another live process is writing this run folder."""


class RunLock:
    """``with RunLock(folder):`` holds the folder's write lock, or fails at once naming the holder."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_FILE
        self._handle: IO[str] | None = None

    def acquire(self) -> "RunLock":
        try:
            import fcntl
        except ImportError:  # no flock on this platform: run unlocked, as before
            return self
        try:
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            from roboreward_bench.evaluation.preflight import os_problem

            raise os_problem(exc, self.path.parent, "locking the run folder") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunFolderBusy(f"{self.path.parent}: another rrbench (PID {holder}) is writing this run folder; "
                                "wait for it to finish, or pass another --output-dir") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor drops the flock
            self._handle = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
