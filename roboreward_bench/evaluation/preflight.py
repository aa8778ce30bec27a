"""Checks before a run spends anything: every video present, the output folder writable.

Both run before a model is built (videos) or before anything is written
(folder), and each failure is one line naming the path and what to do.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Sequence

from roboreward_bench.data.items import Item
from roboreward_bench.errors import RRBenchError

_SHOWN = 3


def video_problem(path: Path) -> str | None:
    """Why a video cannot be used at all (missing, not a file, empty, unreadable), or None."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not path.is_file():
        return "not a file"
    if info.st_size == 0:
        return "empty (0 bytes)"
    return None


def check_videos(items: Sequence[Item], allow_errors: bool = False) -> None:
    """Fail before any model is built when videos are missing or empty.

    With ``allow_errors`` such items become per-item errors instead, unless
    every video is unusable (then nothing could be evaluated at all).
    """
    problems: dict[Path, str] = {}
    for path in dict.fromkeys(item.video_path for item in items):
        problem = video_problem(path)
        if problem is not None:
            problems[path] = problem
    if not problems:
        return
    affected = sum(1 for item in items if item.video_path in problems)
    if allow_errors and affected < len(items):
        return
    shown = "; ".join(f"{path}: {why}" for path, why in list(problems.items())[:_SHOWN])
    more = f"; … +{len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    advice = ("restore the files (or point --data-dir at the complete dataset)" if allow_errors
              else "restore the files, point --data-dir at the complete dataset, or pass --allow-errors to "
                   "score those items as errors")
    raise RRBenchError(f"{affected} of {len(items)} items have an unusable video ({shown}{more}); {advice}")


def os_problem(exc: OSError, path: Path | str, doing: str) -> RRBenchError:
    """One line for an OS failure on ``path``: what happened and what to do."""
    path = exc.filename or path
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        what = "file too large for this file system or limit" if exc.errno == errno.EFBIG else "disk full"
        return RRBenchError(f"{path}: {what} while {doing}; free some space and run the same command "
                            "again to resume")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return RRBenchError(f"{path}: permission denied while {doing}; choose a writable --output-dir "
                            "(or fix the folder's permissions)")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) or isinstance(exc, (NotADirectoryError, FileExistsError)):
        return RRBenchError(f"{path}: is a file, not a folder ({doing}); pass another --output-dir "
                            "or move the file away")
    return RRBenchError(f"{path}: {exc.strerror or exc} while {doing}")


def make_output_folder(folder: Path) -> None:
    """Create the run folder, turning OS failures into one line."""
    if folder.exists() and not folder.is_dir():
        raise RRBenchError(f"{folder}: is a file, not a folder; pass another --output-dir or move the file away")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_problem(exc, folder, "creating the run folder") from None
