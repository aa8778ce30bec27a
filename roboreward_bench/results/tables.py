"""Terminal tables of a run's metrics (tabulate)."""

from __future__ import annotations

from typing import Mapping

from tabulate import tabulate

from roboreward_bench.results.schema import RunResults

# (metric key, label, lower is better?) in display order
HEADLINE_METRICS: tuple[tuple[str, str], ...] = (
    ("mae_macro", "MAE (macro)"), ("mae_micro", "MAE (micro)"), ("rmse_macro", "RMSE (macro)"),
    ("exact_acc", "exact acc"), ("within1_acc", "within-1 acc"), ("qwk", "QWK"),
    ("spearman", "Spearman ρ"), ("kendall_tau_b", "Kendall τ-b"), ("pairwise_acc", "pairwise acc"),
    ("success_f1", "success F1"), ("near_miss_fpr", "near-miss FPR"), ("success_auroc", "success AUROC"),
    ("voc", "VOC"), ("best_of_n", "best-of-N success"),
    # progress (percentage points) and preference protocols
    ("mae", "MAE (HELM, invalid = 4)"), ("mae_strict", "MAE (strict, invalid = 100)"),
    ("exact_match", "exact match"), ("pearson", "Pearson r"), ("accuracy", "accuracy (A / B / tie)"),
    ("accuracy_decisive_pairs", "accuracy, gold A or B"), ("accuracy_tie_pairs", "accuracy, gold tie"),
    ("order_consistency", "order consistency (A/B vs B/A)"), ("a_share", "share of A among A/B answers"),
    ("invalid_rate", "invalid rate"), ("error_rate", "error rate"),
)
SUBSET_COLUMNS = ("n", "mae", "rmse", "exact_acc", "within1_acc", "pairwise_acc", "invalid_rate")
PROTOCOL_SUBSET_COLUMNS = {"progress": ("n", "mae", "mae_strict", "invalid_rate"),
                           "preference": ("n", "accuracy", "invalid_rate")}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def headline_table(results: RunResults, fmt: str = "simple") -> str:
    """Metric, value and 95% CI for every metric the run has."""
    rows = []
    for key, label in HEADLINE_METRICS:
        metric: Mapping[str, float | None] | None = results.metrics.get(key)
        if metric is None:
            continue
        low, high = metric.get("ci_low"), metric.get("ci_high")
        ci = "" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"
        marker = " ★" if key == results.headline else ""
        rows.append((label + marker, _fmt(metric.get("value")), ci))
    return tabulate(rows, headers=("metric", "value", "95% CI"), tablefmt=fmt, disable_numparse=True)


def subset_table(results: RunResults, fmt: str = "simple", names: Mapping[str, str] | None = None) -> str:
    """Per-subset values, one row per subset."""
    rows = []
    columns = PROTOCOL_SUBSET_COLUMNS.get(results.task.spec.get("protocol", "discrete"), SUBSET_COLUMNS)
    for subset in sorted(results.per_subset):
        values = results.per_subset[subset]
        label = (names or {}).get(subset, subset)
        rows.append([label] + [values.get("n") if c == "n" else _fmt(values.get(c)) for c in columns])
    return tabulate(rows, headers=("subset",) + columns, tablefmt=fmt, disable_numparse=True)


def summary_line(results: RunResults) -> str:
    """One line: task, model, counts and non-standard flag."""
    counts = results.counts
    flag = "  NON-STANDARD: " + "; ".join(results.deviations) if results.non_standard else ""
    return (f"{results.task.name} v{results.task.version} · {results.model.spec} · {counts.items} items · "
            f"{counts.invalid} invalid · {counts.errors} errors{flag}")
