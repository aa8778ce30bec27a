"""Which state of the submissions a table or page shows: the leaderboard commit's short hash and date.

Win rates and ranks change as rows are added, so a number cited from the
leaderboard is only reproducible with the commit it came from. The snapshot
is the last commit that touched the submissions folder; uncommitted changes
there are said, never hidden.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Snapshot:
    """``commit`` is a short hash (None outside git); ``date`` the commit date, YYYY-MM-DD."""

    commit: str | None
    date: str | None
    dirty: bool = False

    @property
    def text(self) -> str:
        """e.g. ``snapshot 1a2b3c4 (2026-11-29)``, or why there is none."""
        if self.commit is None:
            return "snapshot: not from a git commit"
        return f"snapshot {self.commit} ({self.date})" + (" plus uncommitted changes" if self.dirty else "")


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def snapshot_of(root: Path) -> Snapshot:
    """The snapshot of the submissions folder ``root``."""
    root = Path(root)
    if not root.is_dir():
        return Snapshot(None, None)
    line = _git(root, "log", "-1", "--format=%h %cs", "--", ".")
    if not line:
        return Snapshot(None, None)
    commit, day = line.split(" ", 1)
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return Snapshot(commit, day, dirty=bool(status))
