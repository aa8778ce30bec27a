"""Ordinal agreement: exact and within-1 accuracy, quadratic weighted kappa, rank correlations."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from roboreward_bench.metrics._inputs import LABELS, as_float, usable


def exact_hits(y_true, y_pred, valid) -> np.ndarray:
    """Per-item ŷ == y; an invalid answer is a miss."""
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return ok & (np.asarray(y_pred, dtype=float) == np.asarray(y_true, dtype=float))


def within1_hits(y_true, y_pred, valid) -> np.ndarray:
    """Per-item |ŷ − y| ≤ 1; an invalid answer is a miss."""
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return ok & (np.abs(np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)) <= 1)


def exact_accuracy(y_true, y_pred, valid) -> float | None:
    """Share of items with ŷ == y (invalid answers count as wrong); None for no items."""
    hits = exact_hits(y_true, y_pred, valid)
    return float(hits.mean()) if hits.size else None


def within1_accuracy(y_true, y_pred, valid) -> float | None:
    """Share of items with |ŷ − y| ≤ 1 (invalid answers count as wrong); None for no items."""
    hits = within1_hits(y_true, y_pred, valid)
    return float(hits.mean()) if hits.size else None


def qwk_categories(y_true, y_pred, valid) -> np.ndarray:
    """The 1..5 category each prediction is assigned for quadratic weighted kappa.

    A valid prediction is rounded half-up and clipped to 1..5 (only for this
    assignment; other metrics score it unclamped). An invalid answer gets the
    label farthest from its gold label (1 if y ≥ 3, else 5), so it costs the
    most kappa can charge and is never dropped.
    """
    y_true = np.asarray(y_true)
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        rounded = np.clip(np.floor(np.asarray(y_pred, dtype=float) + 0.5), 1, 5)
    farthest = np.where(y_true >= 3, 1, 5)
    return np.where(ok, rounded, farthest).astype(np.int64)


def quadratic_weighted_kappa(y_true, y_pred, valid) -> float | None:
    """Cohen's kappa with quadratic weights over labels 1..5 (sklearn).

    Predictions are mapped by :func:`qwk_categories`: invalid answers are
    penalised (assigned the label farthest from gold), not dropped. None when
    kappa is undefined (no items, or chance agreement cannot be computed).
    """
    from sklearn.metrics import cohen_kappa_score

    y_true = np.asarray(y_true, dtype=np.int64)
    if y_true.size == 0:
        return None
    predicted = qwk_categories(y_true, y_pred, valid)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(y_true, predicted, labels=list(LABELS), weights="quadratic")
    return as_float(value)


class RankCorrelation(NamedTuple):
    """A rank correlation over valid items, and how many invalid items it excluded."""

    value: float | None
    excluded: int


def _rank_correlation(y_true, y_pred, valid, statistic) -> RankCorrelation:
    ok = usable(y_pred, valid)
    excluded = int((~ok).sum())
    gold = np.asarray(y_true, dtype=float)[ok]
    predicted = np.asarray(y_pred, dtype=float)[ok]
    if gold.size < 2 or np.ptp(gold) == 0 or np.ptp(predicted) == 0:
        return RankCorrelation(None, excluded)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = statistic(gold, predicted)
    return RankCorrelation(as_float(value), excluded)


def spearman(y_true, y_pred, valid) -> RankCorrelation:
    """Spearman's ρ between y and ŷ over valid items; None if fewer than 2 items or constant input."""
    from scipy.stats import spearmanr

    return _rank_correlation(y_true, y_pred, valid, lambda a, b: spearmanr(a, b).statistic)


def kendall_tau_b(y_true, y_pred, valid) -> RankCorrelation:
    """Kendall's τ-b between y and ŷ over valid items; None if fewer than 2 items or constant input."""
    from scipy.stats import kendalltau

    return _rank_correlation(y_true, y_pred, valid, lambda a, b: kendalltau(a, b, variant="b").statistic)
