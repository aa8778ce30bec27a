"""The metric catalogue: every metric declared once, everything else reads it.

A metric is one function plus its declaration::

    @register_metric("mae_micro", label="MAE (micro)", group="regression", higher_is_better=False,
                     range=(0, None), statistics=("items", "abs"), subset_column="mae")
    def mae_micro(t):
        return ratio(t["abs"].sum(axis=-1), t["items"].sum(axis=-1))

A metric with ``statistics`` is a formula over *totals* of per-item
sufficient statistics (each declared once with :func:`register_statistic`).
The point value applies it to the totals over all items and each bootstrap
resample to the totals of that resample's clusters, so both come from one
code path and the metric gets a 95% CI. A metric without ``statistics`` (a
rank correlation, AUROC, VOC) is a function of the items and options and has
no CI.

Built-in metrics live in the family modules listed in ``plugins.METRIC_MODULES``;
third-party packages add theirs through the entry-point group
``rrbench.metrics`` (entry name = metric name, object = the registered
function or its module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from roboreward_bench.metrics.types import MetricOptions, ScoringInput
from roboreward_bench.plugins import (ALWAYS_GROUP, GROUPS, METRIC_MODULES, METRICS, POINTWISE,
                                      PROTOCOLS, STATISTICS, metric_group_names)

PROTOCOLS.add(POINTWISE, POINTWISE, "one 1–5 progress score per item")

Totals = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Statistic:
    """A per-item quantity summed within each cluster.

    ``compute(inputs, options)`` returns one value per item (shape (n,)), or,
    with ``cells`` > 0, each item's cell index in ``0..cells-1`` (a count
    table, e.g. the 5×5 confusion matrix). With ``per_subset`` the values are
    summed per macro-averaging subset as well, giving one column per subset.
    """

    name: str
    compute: Callable[[ScoringInput, MetricOptions], np.ndarray]
    cells: int = 0
    per_subset: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Group:
    """A family of metrics a task switches on by name in its ``metrics:`` list.

    ``needs`` names the optional :class:`ScoringInput` arrays it requires (it is
    skipped, and the skip noted, without them); ``notes(inputs, options,
    totals)`` returns side facts for results.json.
    """

    name: str
    needs: tuple[str, ...] = ()
    notes: Callable[[ScoringInput, MetricOptions, Totals], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Metric:
    """One metric, as every table, validator and page sees it."""

    name: str
    label: str
    group: str
    higher_is_better: bool
    range: tuple[float | None, float | None]
    function: Callable[..., Any]
    statistics: tuple[str, ...] = ()
    protocol: str = POINTWISE
    subset_column: str | None = None
    summary: bool = False
    doc: str = ""

    @property
    def ci(self) -> bool:
        """Whether the metric gets a bootstrap CI (it is a formula over cluster totals)."""
        return bool(self.statistics)

    @property
    def direction(self) -> str:
        return "higher" if self.higher_is_better else "lower"

    def from_totals(self, totals: Totals) -> np.ndarray:
        """Values from totals of shape (..., width): one per resample, or the point value."""
        return np.asarray(self.function(totals), dtype=float)

    def from_items(self, inputs: ScoringInput, options: MetricOptions) -> float | None:
        """The value of an item-level metric (one without statistics)."""
        return self.function(inputs, options)


def register_metric(name: str, *, label: str, group: str, higher_is_better: bool,
                    range: tuple[float | None, float | None], statistics: tuple[str, ...] = (),
                    protocol: str = POINTWISE, subset_column: str | None = None,
                    summary: bool = False) -> Callable:
    """Decorator declaring ``function`` as metric ``name`` (see the module docstring).

    With ``statistics`` the function maps totals to values; without, it maps
    ``(inputs, options)`` to a value (None when undefined) and gets no CI.
    ``subset_column`` names it in the per-subset table (CI metrics only);
    ``summary`` puts it in the short tables (leaderboard tables, site index).
    Returns the function unchanged. An unknown ``group`` is registered as a
    new group with no requirements.
    """

    def decorate(function: Callable) -> Callable:
        doc = (function.__doc__ or "").strip()
        if not GROUPS.is_registered(group):
            GROUPS.add(group, Group(group))
        METRICS.add(name, Metric(name=name, label=label, group=group, higher_is_better=higher_is_better,
                                 range=range, function=function, statistics=tuple(statistics),
                                 protocol=protocol, subset_column=subset_column, summary=summary, doc=doc),
                    doc.splitlines()[0] if doc else label)
        return function

    return decorate


def register_statistic(name: str, *, cells: int = 0, per_subset: bool = False) -> Callable:
    """Decorator declaring a per-item sufficient statistic (see :class:`Statistic`)."""

    def decorate(compute: Callable) -> Callable:
        STATISTICS.add(name, Statistic(name, compute, cells, per_subset, (compute.__doc__ or "").strip()))
        return compute

    return decorate


def register_group(name: str, needs: tuple[str, ...] = (),
                   notes: Callable[[ScoringInput, MetricOptions, Totals], dict[str, Any]] | None = None) -> Group:
    """Declare a metric group with its required inputs and its notes (call it before its metrics)."""
    return GROUPS.add(name, Group(name, tuple(needs), notes))


def _module_rank(metric: Metric) -> int:
    module = metric.function.__module__
    return METRIC_MODULES.index(module) if module in METRIC_MODULES else len(METRIC_MODULES)


def catalogue() -> list[Metric]:
    """Every metric: built-ins in the order of ``plugins.METRIC_MODULES`` and of their declaration, then plugins."""
    METRICS.load_all()
    return sorted(METRICS.registered().values(), key=_module_rank)


def metric(name: str) -> Metric:
    """One metric by name, with a did-you-mean error."""
    return METRICS.get(name)


def group_names() -> list[str]:
    """Every metric group a task may list (``validity`` is always on)."""
    return metric_group_names()


def summary_metrics() -> list[Metric]:
    """The metrics of the short tables, in catalogue order."""
    return [m for m in catalogue() if m.summary]


def builtin_groups() -> list[str]:
    """The groups of the built-in metrics: what a task without a ``metrics:`` list computes.

    Plugin groups are opt-in (a task lists them), so installing a plugin never
    changes what, or which fingerprint, an existing task has.
    """
    return metric_group_names(builtin_only=True)


def metrics_of(groups: tuple[str, ...], protocol: str = POINTWISE) -> list[Metric]:
    """The metrics a task with these groups and this protocol computes, in catalogue order."""
    chosen = set(groups) | {ALWAYS_GROUP}
    return [m for m in catalogue() if m.group in chosen and m.protocol == protocol]


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, nan where the denominator is 0 (a metric undefined there)."""
    with np.errstate(all="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
