"""Ctrl-C: the first stops the run promptly and resumably, the second exits at once.

The first SIGINT sets :data:`CANCELLED` (backends stop retrying and stop
sleeping on back-off), raises :class:`KeyboardInterrupt` in the main thread
so the run stops taking new items and flushes what it has, and arms a
watchdog that ends the process with exit code 130 after
:data:`GRACE_SECONDS` whatever is still in flight (a hung request cannot
hold Ctrl-C). A second SIGINT ends the process at once. Everything answered
is already in predictions.jsonl (flushed per line), so the same command
resumes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

EXIT_CODE = 130
GRACE_SECONDS = 4.0
CANCELLED = threading.Event()


class InterruptedBatch(KeyboardInterrupt):
    """Ctrl-C during a batch, carrying the responses that had already arrived (so they are saved)."""

    def __init__(self, answered: list) -> None:
        super().__init__()
        self.answered = answered


def requested() -> bool:
    """Whether the user asked the run to stop."""
    return CANCELLED.is_set()


def wait(seconds: float) -> bool:
    """Sleep up to ``seconds``, waking at once on Ctrl-C; True when interrupted."""
    return CANCELLED.wait(seconds)


def hard_exit(message: str | None = None) -> None:
    """Leave now with 130, without waiting for threads stuck in requests."""
    try:
        if message:
            sys.stderr.write(message + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        os._exit(EXIT_CODE)


def _on_sigint(signum, frame) -> None:
    if CANCELLED.is_set():
        hard_exit("rrbench: interrupted again; exiting now")
    CANCELLED.set()
    sys.stderr.write("\nrrbench: stopping (finishing the flush; Ctrl-C again to quit at once)\n")
    timer = threading.Timer(GRACE_SECONDS, hard_exit,
                            args=("rrbench: interrupted; in-flight requests abandoned. Run the same command "
                                  "to resume",))
    timer.daemon = True
    timer.start()
    raise KeyboardInterrupt


def install() -> object:
    """Use this module's SIGINT handling (main thread only); returns the previous handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, _on_sigint)


def restore(previous: object) -> None:
    """Put back the SIGINT handler :func:`install` replaced (for callers that run the CLI in-process)."""
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)
