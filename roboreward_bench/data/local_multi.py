"""Local rows for the progress and preference protocols: several cameras, one or two rollouts.

A ``metadata.jsonl`` row's label column names its protocol (every row of a
folder must use the same one):

- **progress**: ``{"task": …, "progress": 62.5, "videos": {"Left": "ep1/left.mp4", "Wrist": "ep1/wrist.mp4"}}``.
  ``progress`` is the gold percentage, 0–100.
- **preference**: ``{"task": …, "preference": "A", "videos_a": {"Left": …}, "videos_b": {"Left": …}}``.
  ``preference`` is ``A``, ``B`` or ``tie`` (``tied`` is read as ``tie``; case does not matter).

Cameras are sent in the order the row lists them, each as ``"<Name> camera:"``
followed by the whole MP4. Optional columns: ``item_id`` (default: the video
paths joined), ``episode_id`` (default: ``item_id``; progress clips of one
episode share it, and so do the two orders of a swapped pair), ``subset``
(default: ``all``), ``clip_index``
(progress: the clip's position in its episode, for VOC), ``split``. Any other
column is kept as item metadata.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from roboreward_bench.data.items import PREFERENCE_LABELS, Item, VideoRef
from roboreward_bench.errors import DataError

_MULTI_COLUMNS = {"task", "progress", "preference", "videos", "videos_a", "videos_b", "item_id", "episode_id",
                  "subset", "split", "clip_index"}


def item_from_multi_row(row: Mapping[str, Any], root: Path, default_split: str, where: str) -> Item:
    """A progress or preference row as an :class:`Item` (raises a one-line DataError)."""
    instruction = row.get("task")
    if not isinstance(instruction, str) or not instruction.strip():
        raise DataError(f"{where}: 'task' (the instruction) must be a non-empty string")
    if "progress" in row:
        label: float | str = _progress(row["progress"], where)
        videos = _cameras(row.get("videos"), "", "videos", root, where)
    else:
        label = _preference(row["preference"], where)
        videos = (_cameras(row.get("videos_a"), "A", "videos_a", root, where)
                  + _cameras(row.get("videos_b"), "B", "videos_b", root, where))
    first = videos[0].file_name
    item_id = _text(row.get("item_id", "|".join(v.file_name for v in videos)), "item_id", where)
    clip_index = row.get("clip_index")
    if clip_index is not None and (isinstance(clip_index, bool) or not isinstance(clip_index, int)):
        raise DataError(f"{where}: 'clip_index' must be an integer, got {clip_index!r}")
    return Item(item_id=item_id, file_name=first, video_path=videos[0].path, instruction=instruction, label=label,
                episode_id=_text(row.get("episode_id", item_id), "episode_id", where),
                subset=_text(row.get("subset", "all"), "subset", where),
                clip_end=None, split=_text(row.get("split", default_split), "split", where), videos=videos,
                metadata={**{k: v for k, v in row.items() if k not in _MULTI_COLUMNS},
                          **({"clip_index": clip_index} if clip_index is not None else {})})


def swapped(item: Item) -> Item:
    """The same pair asked in B/A order: rollouts exchanged, gold flipped, same episode (cluster)."""
    flip = {"A": "B", "B": "A"}
    videos = tuple(replace(v, rollout=flip[v.rollout]) for v in item.videos)
    ordered = tuple(v for v in videos if v.rollout == "A") + tuple(v for v in videos if v.rollout == "B")
    return replace(item, item_id=f"{item.item_id}#swap", videos=ordered, file_name=ordered[0].file_name,
                   video_path=ordered[0].path, label=flip.get(str(item.label), item.label),
                   metadata={**item.metadata, "swap_of": item.item_id})


def _progress(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 100:
        raise DataError(f"{where}: 'progress' must be a number from 0 to 100, got {value!r}")
    return float(value)


def _preference(value: Any, where: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    label = {"a": "A", "b": "B", "tie": "tie", "tied": "tie"}.get(text or "")
    if label is None:
        raise DataError(f"{where}: 'preference' must be one of {', '.join(PREFERENCE_LABELS)}, got {value!r}")
    return label


def _cameras(value: Any, rollout: str, column: str, root: Path, where: str) -> tuple[VideoRef, ...]:
    if not isinstance(value, dict) or not value:
        raise DataError(f"{where}: '{column}' must map camera names to video paths, "
                        f"e.g. {{\"Left\": \"ep1/left.mp4\"}}")
    refs = []
    for camera, file_name in value.items():
        if not camera.strip():
            raise DataError(f"{where}: '{column}' has an empty camera name")
        path = PurePosixPath(file_name) if isinstance(file_name, str) and file_name else None
        if path is None or path.is_absolute() or ".." in path.parts or "\\" in file_name:
            raise DataError(f"{where}: {column}[{camera!r}] must be a relative path inside the dataset folder, "
                            f"got {file_name!r}")
        refs.append(VideoRef(rollout=rollout, camera=camera, file_name=file_name, path=root / file_name))
    return tuple(refs)


def _text(value: Any, column: str, where: str) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise DataError(f"{where}: '{column}' must be a non-empty string, got {value!r}")
    return str(value)
