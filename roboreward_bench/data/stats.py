"""Label statistics of a task's items: what ``rrbench data stats`` prints and dataset cards embed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from roboreward_bench.data.items import Item
from roboreward_bench.rubric import LABELS

if TYPE_CHECKING:
    from roboreward_bench.data.loading import LoadedTask


def item_field(item: Item, key: str) -> str:
    """``key`` of an item, from its fields or its metadata, as text ("—" if absent)."""
    value = getattr(item, key, None) if key in Item.__dataclass_fields__ else item.metadata.get(key)
    return "—" if value is None else str(value)


def level_table(items: tuple[Item, ...]) -> str:
    """Items and share per rubric level (a GitHub-flavoured Markdown table)."""
    from tabulate import tabulate

    levels = Counter(item.label for item in items)
    return tabulate([[lvl, levels[lvl], f"{100 * levels[lvl] / len(items):.1f}%"] for lvl in LABELS],
                    headers=["level", "items", "share"], tablefmt="github")


def cross_table(items: tuple[Item, ...], key: str) -> str:
    """Items per value of ``key`` and rubric level, with totals (a Markdown table)."""
    from tabulate import tabulate

    counts: Counter[tuple[str, int]] = Counter((item_field(item, key), item.label) for item in items)
    rows = []
    for value in sorted({k for k, _ in counts}):
        row = [counts[(value, lvl)] for lvl in LABELS]
        rows.append([value, *row, sum(row)])
    totals = [sum(counts[(v, lvl)] for v in {k for k, _ in counts}) for lvl in LABELS]
    rows.append(["all", *totals, sum(totals)])
    return tabulate(rows, headers=[key, *map(str, LABELS), "items"], tablefmt="github")


def table_keys(loaded: "LoadedTask") -> list[str]:
    """The columns tabulated against the label: the task's subset key, kind, split, novelty if recorded."""
    keys = [loaded.spec.subset_key, "kind", "split"]
    if any("novelty" in item.metadata for item in loaded.items):
        keys.append("novelty")
    return list(dict.fromkeys(keys))


def summary_line(loaded: "LoadedTask") -> str:
    """``name: N items, E episodes, V videos, S MB, P% human-verified``."""
    from roboreward_bench.data.local import METADATA_FILE
    from roboreward_bench.data.reviews import verified_share

    items = loaded.items
    videos = {item.video_path for item in items}
    size = sum(p.stat().st_size for p in videos if p.is_file()) + (loaded.data_root / METADATA_FILE).stat().st_size
    return (f"{loaded.spec.name}: {len(items)} items, {len({i.episode_id for i in items})} episodes, "
            f"{len(videos)} videos, {size / 1e6:.1f} MB, "
            f"{100 * verified_share(loaded.data_root, items):.1f}% human-verified (rrbench review)")


def stats_tables(loaded: "LoadedTask") -> list[str]:
    """The level table, then one cross table per :func:`table_keys` column."""
    return [level_table(loaded.items)] + [cross_table(loaded.items, key) for key in table_keys(loaded)]
