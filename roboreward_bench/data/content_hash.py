"""The content hash of an item: what a reviewer actually saw and judged.

A decision is bound to the hash of the row fields that define the item
(``file_name``, instruction, label, ``clip_end``) and of the video's bytes.
When any of them changes, the old decision no longer applies and the item
counts as unreviewed again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from roboreward_bench.data.items import Item
from roboreward_bench.data.manifest import sha256_file

_video_hashes: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def video_sha256(path: Path) -> str | None:
    """SHA-256 of a video file (None if it is missing), cached while its size and mtime stay the same."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return None
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        known = _video_hashes.get(key)
    if known is not None:
        return known
    digest = sha256_file(Path(path))
    with _lock:
        _video_hashes[key] = digest
    return digest


def item_content_hash(item: Item) -> str:
    """SHA-256 over the item's defining fields and its video's SHA-256."""
    fields = {"file_name": item.file_name, "instruction": item.instruction, "label": item.label,
              "clip_end": item.clip_end, "video_sha256": video_sha256(item.video_path)}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def content_hashes(items: tuple[Item, ...] | list[Item]) -> dict[str, str]:
    """item_id → content hash (each video file is read once)."""
    return {item.item_id: item_content_hash(item) for item in items}
