"""A managed server process: launch it behind its guard, wait until it answers, stop it.

The server runs in its own session, started by
:mod:`~roboreward_bench.models.server_guard`, which stops the whole process
group when rrbench closes the guard's stdin or dies. Every failure before the
server answers stops it and becomes one :class:`ModelError` line that ends
with the tail of the server's log.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from roboreward_bench.errors import ModelError

HOST = "127.0.0.1"
_PROGRESS_EVERY_S = 15.0


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = HOST) -> bool:
    """Whether ``host:port`` is taken by a listening socket (closed connections in TIME_WAIT do not count,
    as servers bind with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def log_tail(path: Path, lines: int = 3, limit: int = 400) -> str:
    """The last non-empty lines of a log, joined into one line."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    last = [" ".join(line.split()) for line in text.splitlines() if line.strip() and not line.startswith("# rrbench")]
    tail = " | ".join(last[-lines:]) or "(empty log)"
    return tail if len(tail) <= limit else "…" + tail[-limit:]


class ServerProcess:
    """One server process behind its guard: start, wait until it answers, stop."""

    def __init__(self, display: str, command: list[str], public: list[str], port: int, log_path: Path,
                 stop_timeout: float) -> None:
        self.display, self.command, self.public, self.port = display, command, public, port
        self.log_path, self.stop_timeout = log_path, stop_timeout
        self.guard: subprocess.Popen | None = None
        self.server_pid: int | None = None
        self.stopped = False

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def launch(self) -> None:
        """Start guard and server; the server is in its own session and process group."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"# rrbench: {' '.join(self.public)}\n")
        guard_cmd = [sys.executable, "-m", "roboreward_bench.models.server_guard", str(self.log_path),
                     str(self.stop_timeout), "--", *self.command]
        self.guard = subprocess.Popen(guard_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        line = self.guard.stdout.readline().strip()
        self.server_pid = int(line) if line.isdigit() else None

    def exit_code(self) -> int | None:
        """None while the server runs; its exit code once it has exited."""
        return None if self.guard is None else self.guard.poll()

    def fail(self, what: str) -> ModelError:
        """Stop everything and describe the failure in one line with the log's tail."""
        self.stop()
        return ModelError(f"{self.display} on {HOST}:{self.port} {what}; log {self.log_path} ends: "
                          f"{log_tail(self.log_path)}")

    def wait_healthy(self, deadline: float, started: float, say) -> None:
        """Poll ``/health`` (else ``/v1/models``) until 200, the server exits, or ``deadline``."""
        next_note = time.monotonic() + _PROGRESS_EVERY_S
        while True:
            code = self.exit_code()
            if code is not None:
                raise self.fail(f"exited during start-up (exit code {code})")
            if any(_get_ok(self.base_url + path) for path in ("/health", "/v1/models")) and self.exit_code() is None:
                return
            now = time.monotonic()
            if now >= deadline:
                raise self.fail(f"did not become healthy within {deadline - started:.0f} s "
                                f"(raise startup_timeout= if the model is still loading)")
            if now >= next_note:
                say(f"still waiting for {self.display} ({now - started:.0f} s; log: {self.log_path})")
                next_note = now + _PROGRESS_EVERY_S
            time.sleep(0.5)

    def warm_up(self, model: str, deadline: float) -> None:
        """One one-token chat request: proves the server answers for ``model``."""
        body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1,
                "temperature": 0}
        request = urllib.request.Request(self.base_url + "/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=max(5.0, deadline - time.monotonic())) as reply:
                reply.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read().decode(errors="replace").split())[:300]
            raise self.fail(f"is up but cannot answer for {model!r} (HTTP {exc.code}: {detail})") from None
        except (OSError, ValueError) as exc:
            raise self.fail(f"is up but its first request failed ({type(exc).__name__}: {exc})") from None

    def stop(self) -> float:
        """Stop the server's whole process group (idempotent); returns the seconds it took."""
        if self.stopped or self.guard is None:
            return 0.0
        self.stopped = True
        started = time.monotonic()
        try:
            self.guard.stdin.close()  # end-of-file: the guard stops the group
        except OSError:
            pass
        try:
            self.guard.wait(timeout=self.stop_timeout + 15)
        except subprocess.TimeoutExpired:
            for kill, target in ((os.killpg, self.server_pid), (os.kill, self.guard.pid)):
                if target:
                    try:
                        kill(target, signal.SIGKILL)
                    except OSError:
                        pass
            self.guard.wait(timeout=10)
        self.guard.stdout.close()
        return time.monotonic() - started


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (OSError, ValueError):
        return False
