"""Ordinal agreement: exact and within-1 accuracy, quadratic weighted kappa, rank correlations."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from roboreward_bench.rubric import LABELS
from roboreward_bench.metrics._inputs import as_float, usable
from roboreward_bench.metrics.catalogue import ratio, register_group, register_metric, register_statistic

register_group("ordinal", notes=lambda d, o, t: {
    "spearman_excluded": int((~d.valid).sum()), "kendall_tau_b_excluded": int((~d.valid).sum()),
    "qwk_invalid_rule": "invalid answers take the label farthest from gold (1 if y>=3 else 5)"})
_QWK_WEIGHTS = (np.arange(len(LABELS))[:, None] - np.arange(len(LABELS))[None, :]) ** 2.0


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


@register_statistic("exact")
def _exact(d, o) -> np.ndarray:
    """Items with ŷ == y."""
    return exact_hits(d.y_true, d.y_pred, d.valid).astype(float)


@register_statistic("within1")
def _within1(d, o) -> np.ndarray:
    """Items with |ŷ − y| ≤ 1."""
    return within1_hits(d.y_true, d.y_pred, d.valid).astype(float)


@register_statistic("confusion", cells=len(LABELS) ** 2)
def _confusion(d, o) -> np.ndarray:
    """Cell (y − 1)·5 + (category − 1) of the 5×5 gold × :func:`qwk_categories` table."""
    return (d.y_true - 1) * len(LABELS) + qwk_categories(d.y_true, d.y_pred, d.valid) - 1


@register_metric("exact_acc", label="exact acc", group="ordinal", higher_is_better=True, range=(0, 1),
                 statistics=("items", "exact"), subset_column="exact_acc", summary=True)
def exact_accuracy(t):
    """Share of items with ŷ == y (invalid answers count as wrong)."""
    return ratio(t["exact"], t["items"].sum(axis=-1))


@register_metric("within1_acc", label="within-1 acc", group="ordinal", higher_is_better=True, range=(0, 1),
                 statistics=("items", "within1"), subset_column="within1_acc", summary=True)
def within1_accuracy(t):
    """Share of items with |ŷ − y| ≤ 1 (invalid answers count as wrong)."""
    return ratio(t["within1"], t["items"].sum(axis=-1))


@register_metric("qwk", label="QWK", group="ordinal", higher_is_better=True, range=(-1, 1),
                 statistics=("confusion",), summary=True)
def quadratic_weighted_kappa(t):
    """Cohen's kappa with quadratic weights over labels 1..5, from the confusion table.

    Invalid answers take the label farthest from gold (:func:`qwk_categories`).
    Undefined (no items, or no chance disagreement) gives None.
    """
    k = len(LABELS)
    table = t["confusion"].reshape(t["confusion"].shape[:-1] + (k, k))
    n = table.sum(axis=(-2, -1))
    with np.errstate(all="ignore"):
        expected = table.sum(axis=-1)[..., :, None] * table.sum(axis=-2)[..., None, :] / n[..., None, None]
    disagreement = (table * _QWK_WEIGHTS).sum(axis=(-2, -1))
    chance = (np.where(n[..., None, None] > 0, expected, 0.0) * _QWK_WEIGHTS).sum(axis=(-2, -1))
    return 1.0 - ratio(disagreement, chance)


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


@register_metric("spearman", label="Spearman ρ", group="ordinal", higher_is_better=True, range=(-1, 1))
def _spearman(d, o):
    """Spearman's ρ between y and ŷ over valid items (invalid ones are excluded and counted)."""
    return spearman(d.y_true, d.y_pred, d.valid).value


@register_metric("kendall_tau_b", label="Kendall τ-b", group="ordinal", higher_is_better=True, range=(-1, 1))
def _kendall(d, o):
    """Kendall's τ-b between y and ŷ over valid items (invalid ones are excluded and counted)."""
    return kendall_tau_b(d.y_true, d.y_pred, d.valid).value
