"""From validated submissions to ranked leaderboard rows, one board per task.

Verified rows carry metrics re-scored by the validator; reported rows carry
the numbers of their citation. Reported rows are never ranked with verified
rows, and never enter their win rates, unless ``include_reported`` is asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterable

from roboreward_bench.errors import RRBenchError
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.charts import ChartData
from roboreward_bench.leaderboard.schema import ReportedSubmission, Submission, VerifiedSubmission
from roboreward_bench.leaderboard.validate import CheckedSubmission
from roboreward_bench.metrics.catalogue import metric
from roboreward_bench.metrics.types import MetricValue
from roboreward_bench.metrics.winrate import mean_win_rate
from roboreward_bench.tasks.spec import TaskSpec

RULE_BACKENDS = ("random", "constant", "majority")
BASELINE_BACKENDS = RULE_BACKENDS + ("text-only", "video-only")
# (key, label, low, high): parameter count in billions, low < p <= high
SIZE_BUCKETS: tuple[tuple[str, str, float, float], ...] = (
    ("le4", "≤ 4B", -1.0, 4.0), ("4-10", "4–10B", 4.0, 10.0), ("10-40", "10–40B", 10.0, 40.0),
    ("gt40", "> 40B", 40.0, math.inf),
)


@dataclass(frozen=True, eq=False)
class BoardRow:
    """One row of a task's table."""

    slug: str
    meta: Submission
    metrics: dict[str, MetricValue]
    per_subset: dict[str, dict[str, float | None]]
    counts: dict[str, int]
    charts: ChartData | None = None
    rank: int | None = None
    win_rate: float | None = None

    @property
    def kind(self) -> str:
        return self.meta.kind

    @property
    def reported(self) -> bool:
        return isinstance(self.meta, ReportedSubmission)

    @property
    def non_standard(self) -> bool:
        return isinstance(self.meta, VerifiedSubmission) and self.meta.non_standard

    @property
    def baseline(self) -> bool:
        return (self.meta.model.backend or "") in BASELINE_BACKENDS

    @property
    def rule(self) -> bool:
        """A fixed rule (random, constant, majority) rather than a learned model: it has no size."""
        return (self.meta.model.backend or "") in RULE_BACKENDS

    @property
    def size_bucket(self) -> str:
        size = self.meta.model.parameters_b
        if size is None:
            return "unknown"
        return next(key for key, _, low, high in SIZE_BUCKETS if low < size <= high)

    def value(self, name: str) -> float | None:
        metric = self.metrics.get(name)
        return None if metric is None else metric.value


@dataclass(frozen=True, eq=False)
class TaskBoard:
    """A task's ranked rows, plus the submissions made for an older version of it."""

    spec: TaskSpec
    rows: tuple[BoardRow, ...]
    stale: tuple[CheckedSubmission, ...]
    fingerprint: str | None
    subsets: tuple[str, ...]
    include_reported: bool = False
    verified_share: float | None = None  # share of the task's items a human accepted (rrbench review)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def headline(self) -> str:
        return self.spec.headline


def row_from_checked(checked: CheckedSubmission) -> BoardRow:
    """A row for a submission that passed validation."""
    meta = checked.meta
    if isinstance(meta, ReportedSubmission):
        return BoardRow(checked.slug, meta, {k: MetricValue(v) for k, v in meta.metrics.items()},
                        {s: dict(v) for s, v in meta.per_subset.items()}, {})
    report = checked.report
    assert report is not None, "a verified submission that passed validation has a report"
    return BoardRow(checked.slug, meta, dict(report.overall), report.per_subset, dict(report.counts),
                    charts=checked.charts)


def rank_rows(rows: Iterable[BoardRow], headline: str, include_reported: bool = False) -> list[BoardRow]:
    """Competition ranks (1, 1, 3 …) by the headline and HELM mean win rates over subset MAE.

    Only verified rows are ranked and compared unless ``include_reported``;
    the returned order is ranked rows first, then the others by the headline.
    """
    rows = list(rows)
    pool = [r for r in rows if include_reported or not r.reported]
    rates = mean_win_rate({r.slug: {s: v.get("mae") for s, v in r.per_subset.items()} for r in pool})
    lower = not metric(headline).higher_is_better

    def order(row: BoardRow) -> tuple[int, float, str]:
        value = row.value(headline)
        missing = value is None or not math.isfinite(value)
        return (int(missing), 0.0 if missing else (value if lower else -value), row.meta.model.name.lower())

    ranked: list[BoardRow] = []
    previous: tuple[float | None, int] = (None, 0)
    for position, row in enumerate(sorted(pool, key=order), start=1):
        value = row.value(headline)
        if value is None:
            ranked.append(replace(row, win_rate=rates.get(row.slug)))
            continue
        rank = previous[1] if value == previous[0] else position
        previous = (value, rank)
        ranked.append(replace(row, rank=rank, win_rate=rates.get(row.slug)))
    others = sorted((r for r in rows if r not in pool), key=order)
    return ranked + others


def build_boards(checked: Iterable[CheckedSubmission], catalog: TaskCatalog,
                 include_reported: bool = False) -> list[TaskBoard]:
    """One board per task with at least one valid or stale submission; invalid ones are left out."""
    by_task: dict[str, list[CheckedSubmission]] = {}
    for entry in checked:
        if entry.meta is not None and (entry.ok or entry.stale):
            by_task.setdefault(entry.meta.task, []).append(entry)
    boards = []
    for name in sorted(by_task):
        entries = by_task[name]
        rows = [row_from_checked(e) for e in entries if e.ok]
        verified = [e.meta for e in entries if e.ok and isinstance(e.meta, VerifiedSubmission)]
        subsets = sorted({s for row in rows for s in row.per_subset})
        boards.append(TaskBoard(
            spec=catalog.spec(name), rows=tuple(rank_rows(rows, catalog.spec(name).headline, include_reported)),
            stale=tuple(e for e in entries if e.stale), subsets=tuple(subsets),
            fingerprint=verified[0].task_fingerprint if verified else None, include_reported=include_reported,
            verified_share=_verified_share(catalog, name)))
    return boards


def _verified_share(catalog: TaskCatalog, name: str) -> float | None:
    """Human-verified share of the task's items, or None when its data is not available here."""
    from roboreward_bench.data.reviews import verified_share

    try:
        task = catalog.load(name)
    except RRBenchError:
        return None
    return verified_share(task.data_root, task.items)
