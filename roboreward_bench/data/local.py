"""The local dataset format: a folder with ``metadata.jsonl`` and videos.

Each line of ``metadata.jsonl`` is one item. Required columns are those of
RoboRewardBench's own ``metadata.jsonl``, so that layout loads unchanged:

- ``file_name``: the video's path relative to the folder;
- ``task``: the instruction;
- ``reward``: the gold label, an integer 1–5.

Optional columns and their defaults:

- ``item_id``: ``file_name``;
- ``episode_id``: ``file_name`` with an augmentation suffix
  ``_attempt_N_score_M`` removed, so clips cut from one original video share it;
- ``clip_end``: the last frame of the video (stored as None);
- ``subset``: the first path component of ``file_name`` (``"all"`` if none);
- ``kind``: ``"full"``; ``split``: the task source's split; ``group_id``: none;
- ``frame_labels``: none (a list of 1–5 for frames 0..clip_end).

Any other column is kept in ``Item.metadata``.

Rows labelled ``progress`` or ``preference`` instead of ``reward`` are the
multi-camera protocols' items (:mod:`roboreward_bench.data.local_multi`); a
folder holds one protocol.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from roboreward_bench.data.items import ITEM_KINDS, Item
from roboreward_bench.rubric import LABELS
from roboreward_bench.data.local_multi import item_from_multi_row
from roboreward_bench.errors import DataError
from roboreward_bench.tasks.spec import LABEL_COLUMNS, METADATA_FILE

_CORE_COLUMNS = {"file_name", "task", "reward", "item_id", "episode_id", "clip_end", "subset", "kind",
                 "frame_labels", "split", "group_id"}
_AUGMENTED = re.compile(r"_attempt_\d+_score_\d+(?=\.[^./]+$)")
_MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class LocalDataset:
    """Items loaded from a folder; ``missing_videos`` lists item ids whose file is absent."""

    root: Path
    items: tuple[Item, ...]
    missing_videos: tuple[str, ...]
    protocol: str = "discrete"


def episode_id_from_file_name(file_name: str) -> str:
    """``bridge/x_attempt_2_score_3.mp4`` → ``bridge/x.mp4``: augmented clips share their original."""
    return _AUGMENTED.sub("", file_name)


def load_local_dataset(root: Path | str, default_split: str = "test") -> LocalDataset:
    """Load and validate ``root/metadata.jsonl``.

    Rows that cannot form an item (bad JSON, bad label, duplicate id, …) are
    collected and raised together as one :class:`DataError`, one line per
    problem, each naming ``file:line``. A missing video does not stop loading:
    the item is kept and fails at sampling time like any unreadable video.
    """
    root = Path(root)
    metadata = root / METADATA_FILE
    if not metadata.is_file():
        raise DataError(f"{root}: not a dataset folder (no {METADATA_FILE})")
    items: list[Item] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    protocol: str | None = None
    with open(metadata, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{metadata}:{number}"
            try:
                row = json.loads(raw.decode("utf-8"))
                protocol = _protocol_of_row(row, where, protocol)
                item = (_item_from_row(row, root, default_split, where) if protocol == "discrete"
                        else item_from_multi_row(row, root, default_split, where))
            except UnicodeDecodeError as exc:
                problems.append(f"{where}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8")
                continue
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not valid JSON ({exc.msg})")
                continue
            except DataError as exc:
                problems.append(str(exc))
                continue
            if item.item_id in first_line:
                problems.append(f"{where}: duplicate item_id {item.item_id!r} (first on line {first_line[item.item_id]})")
                continue
            first_line[item.item_id] = number
            items.append(item)
    if problems:
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise DataError("\n".join(shown) + (f"\n… and {more} more problems" if more else ""))
    if not items:
        raise DataError(f"{metadata}: no items")
    missing = tuple(item.item_id for item in items
                    if not all(path.is_file() for path in ([v.path for v in item.videos] or [item.video_path])))
    return LocalDataset(root=root, items=tuple(items), missing_videos=missing, protocol=protocol or "discrete")


def _protocol_of_row(row: Any, where: str, expected: str | None) -> str:
    """The row's protocol from its label column; every row of a folder must agree."""
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object")
    found = [protocol for column, protocol in LABEL_COLUMNS.items() if column in row]
    if len(found) != 1:
        raise DataError(f"{where}: a row needs exactly one label column: 'reward' (1–5), 'progress' (0–100) "
                        f"or 'preference' (A, B or tie)")
    if expected is not None and found[0] != expected:
        raise DataError(f"{where}: a {found[0]} row in a {expected} dataset (one protocol per folder)")
    return found[0]


def _item_from_row(row: Any, root: Path, default_split: str, where: str) -> Item:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object")
    file_name = _file_name(row.get("file_name"), where)
    instruction = row.get("task")
    if not isinstance(instruction, str) or not instruction.strip():
        raise DataError(f"{where}: 'task' (the instruction) must be a non-empty string")
    label = _label(row.get("reward"), "reward", where)
    clip_end = row.get("clip_end")
    if clip_end is not None and (isinstance(clip_end, bool) or not isinstance(clip_end, int) or clip_end < 0):
        raise DataError(f"{where}: clip_end must be a non-negative integer, got {clip_end!r}")
    kind = row.get("kind", "full")
    if kind not in ITEM_KINDS:
        raise DataError(f"{where}: kind must be one of {', '.join(ITEM_KINDS)}, got {kind!r}")
    frame_labels = _frame_labels(row.get("frame_labels"), clip_end, label, where)
    parts = PurePosixPath(file_name).parts
    return Item(
        item_id=_text(row.get("item_id", file_name), "item_id", where),
        file_name=file_name,
        video_path=root / file_name,
        instruction=instruction,
        label=label,
        episode_id=_text(row.get("episode_id", episode_id_from_file_name(file_name)), "episode_id", where),
        subset=_text(row.get("subset", parts[0] if len(parts) > 1 else "all"), "subset", where),
        clip_end=clip_end,
        split=_text(row.get("split", default_split), "split", where),
        kind=kind,
        group_id=None if row.get("group_id") is None else _text(row["group_id"], "group_id", where),
        frame_labels=frame_labels,
        metadata={k: v for k, v in row.items() if k not in _CORE_COLUMNS},
    )


def _file_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise DataError(f"{where}: 'file_name' must be a non-empty string")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise DataError(f"{where}: file_name {value!r} must be a relative path inside the dataset folder")
    return value


def _label(value: Any, column: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in LABELS:
        raise DataError(f"{where}: '{column}' must be an integer 1–5, got {value!r}")
    return value


def _text(value: Any, column: str, where: str) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise DataError(f"{where}: '{column}' must be a non-empty string, got {value!r}")
    return str(value)


def _frame_labels(value: Any, clip_end: int | None, label: int, where: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: frame_labels must be a non-empty list of integers 1–5")
    labels = tuple(_label(v, "frame_labels", where) for v in value)
    if clip_end is not None and len(labels) != clip_end + 1:
        raise DataError(f"{where}: frame_labels has {len(labels)} entries but clip_end {clip_end} needs {clip_end + 1}")
    if labels[-1] != label:
        raise DataError(f"{where}: reward {label} differs from the last frame label {labels[-1]}")
    return labels
