"""What the leaderboard knows about a metric: its label, its direction, whether it has a CI, and
when its value says nothing about the model (degenerate).

Every leaderboard module (board, tables, site, LaTeX) asks here and nowhere
else. Label, direction and CI come from the metric catalogue
(:mod:`roboreward_bench.metrics.catalogue`); this module adds only the
leaderboard's own quantities (rank, win rate) and the degenerate rules.
"""

from __future__ import annotations

import numpy as np

from roboreward_bench.metrics.catalogue import METRICS, Metric, catalogue

# Leaderboard-only quantities: computed across rows, not by the metric suite. True: higher is better.
_BOARD = {"win_rate": ("win rate", True), "rank": ("rank", False)}


def _declared(name: str) -> Metric | None:
    return METRICS.get(name) if name in METRICS else None


# Metrics about the success call (score ≥ the task's success threshold): they say nothing
# about a model that never makes that call, or always makes it.
SUCCESS_CALL_METRICS = ("success_precision", "success_recall", "success_f1", "success_balanced_acc",
                        "near_miss_fpr")
# Metrics about how answers order or agree with the labels: they say nothing about one constant answer.
SPREAD_METRICS = ("qwk", "spearman", "kendall_tau_b", "pairwise_acc", "voc") + SUCCESS_CALL_METRICS


def label(name: str) -> str:
    """Short human label, e.g. ``MAE (macro)``; the metric's own name when none is declared."""
    if name in _BOARD:
        return _BOARD[name][0]
    declared = _declared(name)
    return declared.label if declared else name


def lower_is_better(name: str) -> bool:
    if name in _BOARD:
        return not _BOARD[name][1]
    declared = _declared(name)
    return declared is not None and not declared.higher_is_better


def arrow(name: str) -> str:
    """↓ where lower is better, ↑ where higher is."""
    return "↓" if lower_is_better(name) else "↑"


def has_ci(name: str) -> bool:
    """Whether the cluster bootstrap gives this metric a 95% CI."""
    declared = _declared(name)
    return declared is not None and declared.ci


def known_metrics() -> tuple[str, ...]:
    """Every metric name in the catalogue."""
    return tuple(m.name for m in catalogue())


def degenerate_metrics(y_pred: np.ndarray, valid: np.ndarray, success_threshold: float,
                       has_score_probs: bool = False) -> dict[str, str]:
    """Metric → why its value is uninformative for these predictions (empty when none is).

    One constant answer (or none at all) makes every agreement and ranking
    metric meaningless; never (or always) calling success makes the success
    metrics meaningless. AUROC is meaningless for one constant answer only
    when it has no score probabilities to rank by.
    """
    answers = np.asarray(y_pred, dtype=float)[np.asarray(valid, dtype=bool)]
    answers = answers[np.isfinite(answers)]
    distinct = np.unique(answers)
    if distinct.size <= 1:
        reason = "no valid answer" if distinct.size == 0 else f"always answers {distinct[0]:g}"
        names = SPREAD_METRICS + (() if has_score_probs else ("success_auroc",))
        return {name: reason for name in names}
    calls = answers >= success_threshold
    if not calls.any():
        return {name: "never predicts success" for name in SUCCESS_CALL_METRICS}
    if calls.all():
        return {name: "always predicts success" for name in SUCCESS_CALL_METRICS}
    return {}
