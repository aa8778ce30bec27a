"""Choosing a shipped split's items: no duplicates, no length cue, no dominant level.

The steps, in order (each deterministic: ties break by a hash of the item id):

1. :func:`drop_duplicates`: one item per (frames shown, camera, instruction).
2. :func:`match_lengths`: every length bin keeps the same mix of (policy kind,
   label), so how many frames an item shows tells neither.
3. :func:`cap_within`: no level above 40% within a family, nor above 60% of counterfactuals.
4. :func:`select_balanced`: no level above 30% overall.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Any, Callable

# Keep anchors first: the full episode, then counterfactuals, then clips.
_KIND_PRIORITY = {"full": 0, "counterfactual": 1, "clip": 2}
_POLICY_PRIORITY = {"expert": 0}
LEVELS = (1, 2, 3, 4, 5)
FAMILY_MAX_SHARE = 0.40
COUNTERFACTUAL_MAX_SHARE = 0.60
LENGTH_BINS = 2

Row = dict[str, Any]


def _order_key(row: Row) -> tuple[int, str]:
    return (_KIND_PRIORITY.get(row["kind"], 3), hashlib.sha256(row["item_id"].encode()).hexdigest())


def drop_duplicates(rows: list[Row]) -> list[Row]:
    """Keep one item per (digest of the states shown, camera, instruction task); the expert's copy first."""
    kept: dict[tuple, Row] = {}
    ordered = sorted(rows, key=lambda r: (_POLICY_PRIORITY.get(r.get("policy_kind"), 1), _order_key(r)))
    for row in ordered:
        key = (row.get("frames_digest") or row["item_id"], row.get("camera"), row.get("instruction_task"))
        kept.setdefault(key, row)
    ids = {row["item_id"] for row in kept.values()}
    return [row for row in rows if row["item_id"] in ids]


def length_bins(clip_ends: list[int], bins: int) -> list[int]:
    """Quantile bin (0..bins-1) of each clip end within its stratum."""
    import numpy as np

    values = np.asarray(clip_ends, dtype=float)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right").tolist()


def independent_counts(table: dict[int, dict[Any, int]], rounds: int = 50) -> dict[int, dict[Any, int]]:
    """How many items to keep per (length bin, column) so that bin and column are independent:
    the largest rank-one table ``r[bin] * c[column]`` under the available counts, found by
    alternating the two factors (columns missing from some bin are dropped everywhere)."""
    bins = sorted(table)
    columns = sorted({c for b in bins for c in table[b]}, key=str)
    columns = [c for c in columns if all(table[b].get(c, 0) > 0 for b in bins)]
    if not columns:
        return {b: {} for b in bins}
    col = {c: float(sum(table[b][c] for b in bins)) for c in columns}
    row: dict[int, float] = {}
    for _ in range(rounds):
        row = {b: min(table[b][c] / col[c] for c in columns) for b in bins}
        col = {c: min(table[b][c] / row[b] for b in bins) for c in columns}
    return {b: {c: int(row[b] * col[c] + 1e-9) for c in columns} for b in bins}


def match_lengths(rows: list[Row], bins: int = LENGTH_BINS) -> list[Row]:
    """Make how many frames an item shows independent of its (policy kind, label), so frames shown
    tell neither the label nor the policy behind it (:func:`independent_counts`).

    Full videos and counterfactuals form one length bin (all show the whole horizon); clips are
    cut into ``bins`` quantile bins of their length.
    """
    clips = [r for r in rows if r["kind"] == "clip"]
    grid: dict[int, dict[tuple, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row, b in zip(clips, length_bins([r["clip_end"] for r in clips], bins) if clips else []):
        grid[b][(row.get("policy_kind"), row["reward"])].append(row)
    for row in rows:
        if row["kind"] != "clip":
            grid[bins][(row.get("policy_kind"), row["reward"])].append(row)
    keep = independent_counts({b: {c: len(rs) for c, rs in cells.items()} for b, cells in grid.items()})
    chosen = [row for b, cells in grid.items() for c, count in keep[b].items()
              for row in sorted(cells[c], key=_order_key)[:count]]
    ids = {row["item_id"] for row in chosen}
    return [row for row in rows if row["item_id"] in ids]


def cap_within(rows: list[Row], group_of: Callable[[Row], str | None], max_share: float) -> list[Row]:
    """Within every group (``group_of`` None: not capped), keep each level at most ``max_share``."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        key = group_of(row)
        if key is not None:
            groups[key].append(row)
    dropped: set[str] = set()
    for members in groups.values():
        counts = Counter(r["reward"] for r in members)
        by_level = {lvl: sorted((r for r in members if r["reward"] == lvl), key=_order_key, reverse=True)
                    for lvl in counts}
        while counts and max(counts.values()) > max_share * sum(counts.values()) and sum(counts.values()) > 1:
            level = max(counts, key=lambda lvl: (counts[lvl], lvl))
            dropped.add(by_level[level].pop(0)["item_id"])  # clips go first, then counterfactuals
            counts[level] -= 1
    return [row for row in rows if row["item_id"] not in dropped]


def select_balanced(rows: list[Row], max_share: float = 0.30, target: int | None = None) -> list[Row]:
    """The largest deterministic subset where each level is at most ``max_share`` of the items.

    With ``target``, at most that many items are kept, trimmed from the largest levels. Within a level,
    full episodes are kept before counterfactuals and clips; ties break by a
    hash of the item id, so the choice does not depend on build order.
    """
    by_level: dict[int, list[Row]] = defaultdict(list)
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


def choose_shipped(rows: list[Row], target: int | None = None) -> list[Row]:
    """The four steps of this module, in order. Counterfactuals skip the length matching: they all
    show the whole horizon, and their labels answer another instruction."""
    rows = drop_duplicates(rows)
    counterfactual = [row for row in rows if row["kind"] == "counterfactual"]
    rows = match_lengths([row for row in rows if row["kind"] != "counterfactual"]) + counterfactual
    rows = cap_within(rows, lambda r: r["subset"], FAMILY_MAX_SHARE)
    rows = cap_within(rows, lambda r: "cf" if r["kind"] == "counterfactual" else None, COUNTERFACTUAL_MAX_SHARE)
    if len({row["reward"] for row in rows}) * 0.30 < 1:
        return rows  # too few levels for any 30% cap (a one-task test build): keep what there is
    return select_balanced(rows, target=target)
