"""Terminal tables of a run's metrics (tabulate)."""

from __future__ import annotations

from typing import Mapping

from tabulate import tabulate

from roboreward_bench.metrics.catalogue import catalogue
from roboreward_bench.results.schema import RunResults

def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def headline_table(results: RunResults, fmt: str = "simple") -> str:
    """Metric, value and 95% CI for every metric the run has, in catalogue order.

    A metric the catalogue does not know (its plugin is not installed here) is
    listed last under its name.
    """
    labels = {m.name: m.label for m in catalogue()}
    rows = []
    for key in sorted(results.metrics, key=lambda k: (k not in labels, list(labels).index(k) if k in labels else 0)):
        metric: Mapping[str, float | None] = results.metrics[key]
        label = labels.get(key, key)
        low, high = metric.get("ci_low"), metric.get("ci_high")
        ci = "" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"
        marker = " ★" if key == results.headline else ""
        rows.append((label + marker, _fmt(metric.get("value")), ci))
    return tabulate(rows, headers=("metric", "value", "95% CI"), tablefmt=fmt, disable_numparse=True)


def subset_table(results: RunResults, fmt: str = "simple", names: Mapping[str, str] | None = None) -> str:
    """Per-subset values, one row per subset: ``n`` and each catalogue metric's subset column."""
    present = {name for values in results.per_subset.values() for name in values}
    columns = ("n",) + tuple(m.subset_column for m in catalogue() if m.subset_column in present)
    rows = []
    for subset in sorted(results.per_subset):
        values = results.per_subset[subset]
        label = (names or {}).get(subset, subset)
        rows.append([label] + [values.get("n") if c == "n" else _fmt(values.get(c)) for c in columns])
    return tabulate(rows, headers=("subset",) + columns, tablefmt=fmt, disable_numparse=True)


def summary_line(results: RunResults) -> str:
    """One line: task, model, counts and non-standard flag."""
    counts = results.counts
    flag = "  NON-STANDARD: " + "; ".join(results.deviations) if results.non_standard else ""
    reasons = ", ".join(f"{n} {reason}" for reason, n in counts.invalid_reasons.items() if n)
    answers = counts.invalid - counts.errors
    return (f"{results.task.name} v{results.task.version} · {results.model.spec} · {counts.items} items · "
            f"{answers} invalid answers{f' ({reasons})' if reasons else ''} · {counts.errors} errors{flag}")
