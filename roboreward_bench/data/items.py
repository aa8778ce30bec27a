"""The :class:`Item`: one benchmark instance, the output of the data stage.

An item never carries pixels; the frame sampler fetches them from
``video_path`` when the item is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

ITEM_KINDS = ("full", "clip", "counterfactual")
PREFERENCE_LABELS = ("A", "B", "tie")


@dataclass(frozen=True)
class VideoRef:
    """One camera's video of one rollout: ``rollout`` is "" (single rollout), "A" or "B"."""

    rollout: str
    camera: str
    file_name: str
    path: Path


@dataclass(frozen=True)
class Item:
    """One video (up to ``clip_end``) plus an instruction and its gold label.

    The label is 1–5 under the discrete protocol, a percentage 0–100 under
    ``progress`` and "A", "B" or "tie" under ``preference``. Progress and
    preference items show several cameras (``videos``, in the order they are
    sent); ``video_path`` is then the first of them.

    ``clip_end`` is the last frame index shown, inclusive; ``None`` means the
    last frame of the video. ``episode_id`` groups items that show the same
    recorded video (pairwise accuracy and the cluster bootstrap use it);
    ``group_id`` groups episodes that share task and initial state with
    different rollouts (best-of-N selection uses it).
    """

    item_id: str
    file_name: str
    video_path: Path
    instruction: str
    label: int | float | str
    episode_id: str
    subset: str
    clip_end: int | None = None
    split: str = "test"
    kind: str = "full"
    group_id: str | None = None
    frame_labels: tuple[int, ...] | None = None
    videos: tuple[VideoRef, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


MISSING_VALUE = "unknown"  # an item without the asked-for column, wherever items are grouped by one


def column_value(item: Item, key: str) -> str:
    """The item's value of ``key`` as text: an Item field or a metadata column (:data:`MISSING_VALUE` if absent)."""
    value: Any = getattr(item, key, None) if key in Item.__dataclass_fields__ else item.metadata.get(key)
    return MISSING_VALUE if value is None else str(value)
