"""The guard between rrbench and a managed inference server.

``python -m roboreward_bench.models.server_guard LOG -- CMD ...`` starts
``CMD`` in its own session (so the server and every worker it forks share one
process group), with its output appended to ``LOG``, and prints the server's
pid on stdout. The guard then waits for either of two things:

- its stdin reaches end-of-file: rrbench closed it to stop the server, *or
  rrbench died*, however it died (even SIGKILL closes the pipe);
- the server exits on its own (it crashed, or never started).

In the first case it stops the whole process group: SIGTERM, a grace period,
then SIGKILL, including any descendant that moved to another group. It exits
with the server's exit code, so rrbench can tell "exited during start-up" by
polling the guard, its own child.

The guard runs single-threaded code when it forks the server, so the server is
also given ``PR_SET_PDEATHSIG`` (Linux): should the guard itself be killed, the
kernel sends the server SIGTERM.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
DEFAULT_GRACE_S = 15.0


def _die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM this process when its parent (the guard) dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the guard's own stop path still applies
        pass


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children, grandchildren, …), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def group_alive(pgid: int) -> bool:
    """Whether any process is left in process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_all(pgid: int, extra: list[int], sig: int) -> None:
    for send, target in [(os.killpg, pgid)] + [(os.kill, pid) for pid in extra]:
        try:
            send(target, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_group(server: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM the server's group and descendants; SIGKILL whatever is left after ``grace_s``."""
    extra = descendants(server.pid)
    _signal_all(server.pid, extra, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        server.poll()
        if server.returncode is not None and not group_alive(server.pid) \
                and not any(_alive(pid) for pid in extra):
            return
        time.sleep(0.1)
    _signal_all(server.pid, extra + descendants(server.pid), signal.SIGKILL)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def main(argv: list[str]) -> int:
    """Run the guard (see the module docstring); returns the server's exit code."""
    if "--" not in argv or argv.index("--") != 2 or len(argv) < 4:
        print("usage: server_guard LOG GRACE_S -- CMD ...", file=sys.stderr)
        return 2
    log_path, grace_s, command = Path(argv[0]), float(argv[1]), argv[3:]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    with log_path.open("ab", buffering=0) as log:
        try:
            server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True, preexec_fn=_die_with_parent)
        except OSError as exc:
            log.write(f"rrbench: cannot start {command[0]}: {exc}\n".encode())
            return 127
    print(server.pid, flush=True)
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), stop.set()), daemon=True).start()
    while server.poll() is None and not stop.is_set():
        stop.wait(0.2)
    if server.returncode is None:
        stop_group(server, grace_s)
    elif group_alive(server.pid):  # the server exited but left workers behind
        stop_group(server, grace_s)
    return server.returncode if server.returncode is not None else -signal.SIGKILL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
