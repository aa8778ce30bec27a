"""Success classification: gold success is y == 5, predicted success is ŷ ≥ threshold.

An invalid answer is never a predicted success.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from roboreward_bench.metrics._inputs import LABELS, as_float, usable

SUCCESS_LABEL = 5
NEAR_MISS_LABEL = 4


def gold_success(y_true) -> np.ndarray:
    """Per-item y == 5."""
    return np.asarray(y_true) == SUCCESS_LABEL


def predicted_success(y_pred, valid, success_threshold: float = 5.0) -> np.ndarray:
    """Per-item ŷ ≥ threshold; False for invalid answers."""
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return ok & (np.asarray(y_pred, dtype=float) >= success_threshold)


class SuccessScores(NamedTuple):
    """Precision, recall, F1 and balanced accuracy of the success call (None where undefined)."""

    precision: float | None
    recall: float | None
    f1: float | None
    balanced_accuracy: float | None


def success_scores(y_true, y_pred, valid, success_threshold: float = 5.0) -> SuccessScores:
    """Precision, recall, F1 and balanced accuracy (sklearn) of predicted vs gold success.

    Precision is None without predicted successes, recall without gold
    successes, F1 when both are absent. Balanced accuracy, the mean of the
    recalls of both classes, is None unless both classes occur in the gold
    labels (sklearn would silently average the one recall it has).
    """
    from sklearn.metrics import balanced_accuracy_score, precision_recall_fscore_support

    gold = gold_success(y_true)
    called = predicted_success(y_pred, valid, success_threshold)
    if gold.size == 0:
        return SuccessScores(None, None, None, None)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        precision, recall, f1, _ = precision_recall_fscore_support(
            gold, called, average="binary", pos_label=True, zero_division=np.nan)
        both_classes = 0 < gold.sum() < gold.size
        balanced = balanced_accuracy_score(gold, called) if both_classes else None
    return SuccessScores(as_float(precision), as_float(recall), as_float(f1), as_float(balanced))


def near_miss_fpr(y_true, y_pred, valid, success_threshold: float = 5.0) -> float | None:
    """Share of near misses (y == 4) that are called successes; None without near misses."""
    near = np.asarray(y_true) == NEAR_MISS_LABEL
    if not near.any():
        return None
    return float(predicted_success(y_pred, valid, success_threshold)[near].mean())


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
