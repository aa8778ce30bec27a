"""One reviewer's pass over a dataset: the queue, what they decided, and what the page shows.

The queue is the dataset's items (or a seeded sample of them, the same on
every restart). The page starts at the first item this reviewer has not yet
decided on its current content, and after each decision moves to the next
such item, so a restarted session resumes where it stopped.
"""

from __future__ import annotations

import io
import random
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from roboreward_bench.data.items import Item
from roboreward_bench.rubric import LABELS
from roboreward_bench.errors import RRBenchError
from roboreward_bench.frames.sampler import FrameSampler, VideoError
from roboreward_bench.plugins import PROMPTS
from roboreward_bench.data.content_hash import content_hashes
from roboreward_bench.data.reviews import DECISIONS, ReviewLog, ReviewRecord, current_decisions, read_reviews
from roboreward_bench.tasks.spec import FrameSpec

THUMB_HEIGHT = 120
MAX_NOTE = 2000
_KEPT_ITEMS = 32  # items whose thumbnails stay in memory


@dataclass(frozen=True)
class _Preview:
    """What the sampler gave for one item: JPEG thumbnails, or why the video cannot be shown."""

    jpegs: tuple[bytes, ...]
    indices: tuple[int, ...]
    fps: float | None
    last_frame: int | None
    error: str | None


def rubric_levels(prompt_id: str) -> dict[int, str]:
    """Level → rubric line ("Near Completion: …") parsed from the task's prompt text."""
    found = re.findall(r"^([1-5]) - (.+)$", PROMPTS.get(prompt_id), flags=re.MULTILINE)
    return {int(level): text for level, text in found}


def sample_queue(items: tuple[Item, ...], sample: int | None, seed: int) -> tuple[Item, ...]:
    """All items, or ``sample`` of them chosen with ``seed`` and kept in dataset order."""
    if sample is None or sample >= len(items):
        return items
    chosen = set(random.Random(seed).sample(range(len(items)), sample))
    return tuple(item for index, item in enumerate(items) if index in chosen)


class ReviewSession:
    """The state behind the review page; safe to use from several server threads."""

    def __init__(self, title: str, items: tuple[Item, ...], log: ReviewLog, reviewer: str,
                 frames: FrameSpec, prompt_id: str) -> None:
        if not items:
            raise RRBenchError(f"{title}: no items to review")
        self.title = title
        self.items = items
        self.log = log
        self.reviewer = reviewer
        self.rubric = rubric_levels(prompt_id)
        self.hashes = content_hashes(items)
        mine = [r for r in read_reviews(log.path) if r.reviewer == reviewer]
        self._earlier_ids = {r.item_id for r in mine}
        self._mine = {item_id: by[reviewer] for item_id, by in current_decisions(mine, self.hashes).items()}
        self._sampler = FrameSampler(frames, cache_bytes=256 << 20)
        self._previews: OrderedDict[int, _Preview] = OrderedDict()
        self._lock = threading.Lock()  # decisions
        self._preview_lock = threading.Lock()  # the sampler and its thumbnails; a decode must not hold up a decision

    def reviewed_count(self) -> int:
        """Items this reviewer has decided on their current content."""
        with self._lock:
            return len(self._mine)

    def next_pending(self, after: int = -1) -> int | None:
        """The first undecided item after index ``after`` (wrapping around), or None when all are done."""
        with self._lock:
            count = len(self.items)
            for step in range(1, count + 1):
                index = (after + step) % count
                if self.items[index].item_id not in self._mine:
                    return index
        return None

    def describe(self) -> dict[str, Any]:
        """The session as the page needs it."""
        start = self.next_pending()
        return {"title": self.title, "reviewer": self.reviewer, "count": len(self.items),
                "reviewed": self.reviewed_count(), "start": 0 if start is None else start,
                "rubric": {str(level): text for level, text in self.rubric.items()}}

    def item(self, index: int) -> dict[str, Any]:
        """Everything the page shows for the item at ``index`` (all strings are data: the page escapes them)."""
        item = self.items[self._checked(index)]
        preview = self._preview(index)
        with self._lock:
            mine = self._mine.get(item.item_id)
        last = preview.last_frame if item.clip_end is None else item.clip_end
        version = self.hashes[item.item_id][:16]
        return {
            "index": index, "item_id": item.item_id, "file_name": item.file_name, "subset": item.subset,
            "kind": item.kind, "instruction": item.instruction, "label": item.label,
            "rubric": self.rubric.get(item.label, ""), "clip_end": last, "fps": preview.fps,
            "frame_labels": list(item.frame_labels) if item.frame_labels else None,
            "frame_indices": list(preview.indices), "error": preview.error,
            # The content hash in the URLs keeps a browser cache from showing another item's pixels.
            "video_url": f"/video/{index}?h={version}",
            "thumbs": [f"/thumb/{index}/{k}.jpg?h={version}" for k in range(len(preview.jpegs))],
            "mine": None if mine is None else _decision_view(mine),
            "stale": mine is None and item.item_id in self._earlier_ids,
        }

    def thumbnail(self, index: int, k: int) -> bytes:
        """The ``k``-th sampled frame of item ``index`` as JPEG."""
        jpegs = self._preview(self._checked(index)).jpegs
        if not 0 <= k < len(jpegs):
            raise IndexError(k)
        return jpegs[k]

    def video_path(self, index: int) -> Path:
        return self.items[self._checked(index)].video_path

    def decide(self, index: int, decision: str, label: int | None, note: str) -> ReviewRecord:
        """Record a decision durably; a relabel to the proposed label is an acceptance."""
        item = self.items[self._checked(index)]
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        if decision == "relabel" and (label not in LABELS or isinstance(label, bool)):
            raise ValueError("a relabel needs a label 1–5")
        if decision == "relabel" and label == item.label:
            decision = "accept"
        record = ReviewRecord(item_id=item.item_id, content_hash=self.hashes[item.item_id], reviewer=self.reviewer,
                              decision=decision, proposed_label=item.label,
                              corrected_label=label if decision == "relabel" else None,
                              note=str(note)[:MAX_NOTE], time=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.log.append(record)  # durable before the page hears back
        with self._lock:
            self._mine[item.item_id] = record
            self._earlier_ids.add(item.item_id)
        return record

    def _checked(self, index: int) -> int:
        if not 0 <= index < len(self.items):
            raise IndexError(index)
        return index

    def _preview(self, index: int) -> _Preview:
        with self._preview_lock:
            if index in self._previews:
                self._previews.move_to_end(index)
                return self._previews[index]
            item = self.items[index]
            try:
                sampled = self._sampler.sample(item.video_path, item.clip_end)
            except VideoError as exc:
                preview = _Preview((), (), None, None, str(exc))
            else:
                preview = _Preview(tuple(_jpeg(frame) for frame in sampled.frames), sampled.indices, sampled.fps,
                                   sampled.video_frames - 1, None)
            self._previews[index] = preview
            while len(self._previews) > _KEPT_ITEMS:
                self._previews.popitem(last=False)
            return preview


def _decision_view(record: ReviewRecord) -> dict[str, Any]:
    return {"decision": record.decision, "label": record.human_label, "note": record.note, "time": record.time}


def _jpeg(frame) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise RRBenchError("rrbench review needs Pillow for frame thumbnails: pip install pillow") from None
    image = Image.fromarray(frame)
    if image.height > THUMB_HEIGHT:
        image = image.resize((max(1, round(image.width * THUMB_HEIGHT / image.height)), THUMB_HEIGHT))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
