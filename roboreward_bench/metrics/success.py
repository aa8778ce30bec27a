"""Success classification: gold success is y == 5, predicted success is ŷ ≥ threshold.

An invalid answer is never a predicted success.
"""

from __future__ import annotations

import warnings

import numpy as np

from roboreward_bench.rubric import LABELS, NEAR_MISS_LABEL, SUCCESS_LABEL
from roboreward_bench.metrics._inputs import as_float, usable
from roboreward_bench.metrics.catalogue import ratio, register_group, register_metric, register_statistic

register_group("success", notes=lambda d, o, t: {
    "auroc_items_with_score_probs": 0 if d.score_probs is None else int(rows_with_probs(d.score_probs).sum()),
    "success_threshold": o.success_threshold})


def gold_success(y_true) -> np.ndarray:
    """Per-item y == 5."""
    return np.asarray(y_true) == SUCCESS_LABEL


def predicted_success(y_pred, valid, success_threshold: float = 5.0) -> np.ndarray:
    """Per-item ŷ ≥ threshold; False for invalid answers."""
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return ok & (np.asarray(y_pred, dtype=float) >= success_threshold)


def _calls(d, o):
    return gold_success(d.y_true), predicted_success(d.y_pred, d.valid, o.success_threshold)


@register_statistic("tp")
def _tp(d, o):
    """Gold successes called successes."""
    gold, called = _calls(d, o)
    return (gold & called).astype(float)


@register_statistic("fp")
def _fp(d, o):
    """Gold failures called successes."""
    gold, called = _calls(d, o)
    return (~gold & called).astype(float)


@register_statistic("fn")
def _fn(d, o):
    """Gold successes not called successes."""
    gold, called = _calls(d, o)
    return (gold & ~called).astype(float)


@register_statistic("tn")
def _tn(d, o):
    """Gold failures not called successes."""
    gold, called = _calls(d, o)
    return (~gold & ~called).astype(float)


@register_statistic("near_misses")
def _near_misses(d, o):
    """Items with gold label 4 (nearly done)."""
    return (d.y_true == NEAR_MISS_LABEL).astype(float)


@register_statistic("near_miss_calls")
def _near_miss_calls(d, o):
    """Near misses called successes."""
    return ((d.y_true == NEAR_MISS_LABEL) & _calls(d, o)[1]).astype(float)


@register_metric("success_precision", label="success precision", group="success", higher_is_better=True,
                 range=(0, 1), statistics=("tp", "fp"))
def success_precision(t):
    """Share of predicted successes that are gold successes (None without predicted successes)."""
    return ratio(t["tp"], t["tp"] + t["fp"])


@register_metric("success_recall", label="success recall", group="success", higher_is_better=True,
                 range=(0, 1), statistics=("tp", "fn"))
def success_recall(t):
    """Share of gold successes called successes (None without gold successes)."""
    return ratio(t["tp"], t["tp"] + t["fn"])


@register_metric("success_f1", label="success F1", group="success", higher_is_better=True, range=(0, 1),
                 statistics=("tp", "fp", "fn"), summary=True)
def success_f1(t):
    """F1 of the success call (None when there are neither gold nor predicted successes)."""
    return ratio(2 * t["tp"], 2 * t["tp"] + t["fp"] + t["fn"])


@register_metric("success_balanced_acc", label="success balanced acc", group="success", higher_is_better=True,
                 range=(0, 1), statistics=("tp", "fp", "fn", "tn"))
def success_balanced_accuracy(t):
    """Mean recall of both classes (None unless both occur in the gold labels)."""
    return (ratio(t["tp"], t["tp"] + t["fn"]) + ratio(t["tn"], t["tn"] + t["fp"])) / 2


@register_metric("near_miss_fpr", label="near-miss FPR", group="success", higher_is_better=False, range=(0, 1),
                 statistics=("near_misses", "near_miss_calls"), summary=True)
def near_miss_fpr(t):
    """Share of near misses (y == 4) called successes (None without near misses)."""
    return ratio(t["near_miss_calls"], t["near_misses"])


def rows_with_probs(score_probs) -> np.ndarray:
    """Items whose ``score_probs`` row is usable: all finite, with positive total mass."""
    probs = np.asarray(score_probs, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(probs).all(axis=1) & (probs.sum(axis=1) > 0)


def expected_scores(y_pred, valid, score_probs=None) -> np.ndarray:
    """Per-item ranking score for AUROC.

    Where a ``score_probs`` row is finite with positive mass, the expected score
    Σ k·p_k (the row normalised to sum 1, since a backend may return only the
    top log-probabilities); elsewhere ŷ, and 0 for an invalid answer.
    """
    score = np.where(usable(y_pred, valid), np.asarray(y_pred, dtype=float), 0.0)
    if score_probs is None:
        return score
    probs = np.asarray(score_probs, dtype=float)
    with np.errstate(all="ignore"):
        expected = (probs @ np.asarray(LABELS, dtype=float)) / probs.sum(axis=1)
    return np.where(rows_with_probs(probs), expected, score)


def success_auroc(y_true, y_pred, valid, score_probs=None) -> float | None:
    """ROC AUC (sklearn) of :func:`expected_scores` for gold success; None if one class only."""
    from sklearn.metrics import roc_auc_score

    gold = gold_success(y_true)
    if not 0 < gold.sum() < gold.size:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return as_float(roc_auc_score(gold, expected_scores(y_pred, valid, score_probs)))


@register_metric("success_auroc", label="success AUROC", group="success", higher_is_better=True, range=(0, 1))
def _success_auroc(d, o):
    """ROC AUC of the expected score (from score_probs where present, else ŷ) for gold success."""
    return success_auroc(d.y_true, d.y_pred, d.valid, d.score_probs)
