"""From validated submissions to ranked leaderboard rows, one board per task.

Verified rows carry metrics re-scored by the validator; reported rows carry
the numbers of their citation. Reported rows are never ranked with verified
rows, and never enter their win rates, unless ``include_reported`` is asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard import metric_facts
from roboreward_bench.leaderboard.charts import ChartData
from roboreward_bench.leaderboard.schema import ReportedSubmission, Submission, VerifiedSubmission
from roboreward_bench.leaderboard.snapshot import Snapshot
from roboreward_bench.leaderboard.uncertainty import rank_ranges
from roboreward_bench.leaderboard.validate import CheckedSubmission
from roboreward_bench.metrics.types import MetricValue
from roboreward_bench.metrics.winrate import mean_win_rate
from roboreward_bench.tasks.spec import TaskSpec

RULE_BACKENDS = ("random", "constant", "majority", "median")
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
    rank_range: tuple[int, int] | None = None  # (best, worst) rank of its paired-bootstrap group
    degenerate: dict[str, str] = field(default_factory=dict)  # metric → why its value says nothing

    @property
    def tied(self) -> bool:
        """A paired bootstrap cannot separate this row from a neighbour at 95%."""
        return self.rank_range is not None and self.rank_range[0] != self.rank_range[1]

    @property
    def rank_text(self) -> str:
        if self.rank is None:
            return "–"
        return f"{self.rank_range[0]}–{self.rank_range[1]}" if self.tied else str(self.rank)

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
    def parameters(self) -> float | None:
        """The parameter count in billions, by one rule for every row: baselines have none to compare."""
        return None if self.baseline else self.meta.model.parameters_b

    @property
    def parameters_text(self) -> tuple[str, str]:
        """(shown, explanation) of the parameter count, by the same rule for every row."""
        if self.baseline:
            return "n/a", "a baseline, not a vision-language model"
        size = self.meta.model.parameters_b
        return ("?", "undisclosed") if size is None else (f"{size:g}B", f"{size:g} billion parameters")

    @property
    def size_bucket(self) -> str:
        if self.baseline:
            return "baseline"
        size = self.meta.model.parameters_b
        if size is None:
            return "unknown"
        return next(key for key, _, low, high in SIZE_BUCKETS if low < size <= high)

    def is_degenerate(self, name: str) -> bool:
        return name in self.degenerate

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
    snapshot: Snapshot | None = None  # the commit of the submissions these rows were built from

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def headline(self) -> str:
        return self.spec.headline


def row_from_checked(checked: CheckedSubmission, spec: TaskSpec | None = None) -> BoardRow:
    """A row for a submission that passed validation; ``spec`` decides which values are degenerate."""
    meta = checked.meta
    if isinstance(meta, ReportedSubmission):
        return BoardRow(checked.slug, meta, {k: MetricValue(v) for k, v in meta.metrics.items()},
                        {s: dict(v) for s, v in meta.per_subset.items()}, {})
    report = checked.report
    assert report is not None, "a verified submission that passed validation has a report"
    degenerate: dict[str, str] = {}
    if checked.charts is not None and spec is not None:
        data = checked.charts
        degenerate = metric_facts.degenerate_metrics(data.y_pred, data.valid & ~data.errored,
                                                     spec.success_threshold, data.score_probs is not None)
        degenerate = {k: v for k, v in degenerate.items() if k in report.overall}
    return BoardRow(checked.slug, meta, dict(report.overall), report.per_subset, dict(report.counts),
                    charts=checked.charts, degenerate=degenerate)


def sort_key(headline: str):
    """Best headline first; degenerate values after every informative one; missing values last."""
    lower = metric_facts.lower_is_better(headline)

    def order(row: BoardRow) -> tuple[int, float, str]:
        value = row.value(headline)
        missing = value is None or not math.isfinite(value)
        tier = 2 if missing else int(row.is_degenerate(headline))
        return (tier, 0.0 if missing else (value if lower else -value), row.meta.model.name.lower())
    return order


def rank_rows(rows: Iterable[BoardRow], headline: str, include_reported: bool = False,
              distributions: Mapping[str, np.ndarray] | None = None) -> list[BoardRow]:
    """Competition ranks (1, 1, 3 …) by the headline, rank groups, and HELM mean win rates over subset MAE.

    Only verified rows are ranked and compared unless ``include_reported``;
    the returned order is ranked rows first, then the others by the headline.
    ``distributions`` (slug → headline over the bootstrap resamples) give the
    rank groups: see :func:`uncertainty.rank_ranges`.
    """
    rows = list(rows)
    pool = [r for r in rows if include_reported or not r.reported]
    rates = mean_win_rate({r.slug: {s: v.get("mae") for s, v in r.per_subset.items()} for r in pool})
    order = sort_key(headline)
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
    with_rank = [r for r in ranked if r.rank is not None]
    bounds = rank_ranges([r.slug for r in with_rank], [r.rank for r in with_rank], distributions or {})
    ranked = [replace(r, rank_range=bounds.get(r.slug)) if r.rank is not None else r for r in ranked]
    others = sorted((r for r in rows if r not in pool), key=order)
    return ranked + others


def build_boards(checked: Iterable[CheckedSubmission], catalog: TaskCatalog,
                 include_reported: bool = False, snapshot: Snapshot | None = None) -> list[TaskBoard]:
    """One board per task with at least one valid or stale submission; invalid ones are left out."""
    by_task: dict[str, list[CheckedSubmission]] = {}
    for entry in checked:
        if entry.meta is not None and (entry.ok or entry.stale):
            by_task.setdefault(entry.meta.task, []).append(entry)
    boards = []
    for name in sorted(by_task):
        entries = by_task[name]
        spec = catalog.spec(name)
        rows = [row_from_checked(e, spec) for e in entries if e.ok]
        verified = [e.meta for e in entries if e.ok and isinstance(e.meta, VerifiedSubmission)]
        subsets = sorted({s for row in rows for s in row.per_subset})
        distributions = {e.slug: e.draws for e in entries if e.ok and e.draws is not None}
        boards.append(TaskBoard(
            spec=spec, rows=tuple(rank_rows(rows, spec.headline, include_reported, distributions)),
            stale=tuple(e for e in entries if e.stale), subsets=tuple(subsets),
            fingerprint=verified[0].task_fingerprint if verified else None, include_reported=include_reported,
            verified_share=_verified_share(catalog, name), snapshot=snapshot))
    return boards


def _verified_share(catalog: TaskCatalog, name: str) -> float | None:
    """Human-verified share of the task's items, or None when its data is not available here."""
    from roboreward_bench.data.reviews import verified_share

    try:
        task = catalog.load(name)
    except RRBenchError:
        return None
    return verified_share(task.data_root, task.items)
