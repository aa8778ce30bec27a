"""Choosing items so that no rubric level dominates a shipped split."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

# Keep anchors first: the full episode, then counterfactuals, then clips.
_KIND_PRIORITY = {"full": 0, "counterfactual": 1, "clip": 2}


def _order_key(row: dict[str, Any]) -> tuple[int, str]:
    return (_KIND_PRIORITY.get(row["kind"], 3), hashlib.sha256(row["item_id"].encode()).hexdigest())


def select_balanced(rows: list[dict[str, Any]], max_share: float = 0.30,
                    target: int | None = None) -> list[dict[str, Any]]:
    """The largest deterministic subset where each level is at most ``max_share`` of the items.

    With ``target``, at most that many items are kept, trimmed from the largest levels. Within a level,
    full episodes are kept before counterfactuals and clips; ties break by a
    hash of the item id, so the choice does not depend on build order.
    """
    by_level: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_level[row["reward"]].append(row)
    for level_rows in by_level.values():
        level_rows.sort(key=_order_key)

    def kept(total: int) -> dict[int, int]:
        cap = int(max_share * total)
        return {lvl: min(len(rs), cap) for lvl, rs in by_level.items()}

    low, high = 0, len(rows)
    while low < high:  # the largest total the levels can fill under the cap
        mid = (low + high + 1) // 2
        if sum(kept(mid).values()) >= mid:
            low = mid
        else:
            high = mid - 1
    total = low if target is None else min(low, target)
    counts = kept(total)
    while target is not None and sum(counts.values()) > target:
        largest = max(counts, key=lambda lvl: (counts[lvl], lvl))
        counts[largest] -= 1
    chosen = [row for lvl, rs in by_level.items() for row in rs[: counts[lvl]]]
    ids = {row["item_id"] for row in chosen}
    return [row for row in rows if row["item_id"] in ids]
