"""Which items a run evaluates: ``--limit`` and ``--shard i/n``, both deterministic."""

from __future__ import annotations

import hashlib
from typing import Sequence

from roboreward_bench.data.items import Item
from roboreward_bench.errors import RRBenchError


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` → (2, 4); shards are numbered 1..n."""
    if text is None:
        return None
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = 0, 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise RRBenchError(f"--shard {text!r}: expected i/n with 1 ≤ i ≤ n, e.g. 1/4")
    return i, n


def shard_of(item: Item, count: int) -> int:
    """Shard (1..count) of an item, by a hash of its video, so a video's items stay together."""
    digest = hashlib.sha256(item.file_name.encode()).digest()
    return int.from_bytes(digest[:8], "little") % count + 1


def select_items(items: Sequence[Item], limit: int | None = None,
                 shard: tuple[int, int] | None = None) -> list[Item]:
    """The first ``limit`` items (task order), then the items of shard ``i/n``."""
    chosen = list(items[:limit] if limit is not None else items)
    if shard is not None:
        index, count = shard
        chosen = [item for item in chosen if shard_of(item, count) == index]
    return chosen
