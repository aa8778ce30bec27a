"""Progress-percentage metrics (HELM's progress-prediction protocol, shared/PROTOCOLS.md §2).

Per item, HELM's statistics: ``abs_error = |ŷ − y|``, ``squared_error`` and
``exact_match = (ŷ == y)``, with an invalid answer costing 4.0 / 16.0 / 0 —
the same constants as the 1–5 protocol, so on a 0–100 scale an invalid answer
is almost free. The strict variant charges 100 (the largest possible error) and
is reported beside it. Rank and linear correlations use valid answers only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from roboreward_bench.metrics._inputs import as_float, encode, usable

HELM_INVALID_ABS_ERROR = 4.0
STRICT_INVALID_ABS_ERROR = 100.0


class ItemStats(NamedTuple):
    """HELM's per-item statistics, one array entry per item."""

    abs_error: np.ndarray
    squared_error: np.ndarray
    exact_match: np.ndarray


def item_stats(y_true, y_pred, valid, invalid_abs_error: float = HELM_INVALID_ABS_ERROR) -> ItemStats:
    """abs error, squared error and exact match per item; an invalid answer gets the penalty and 0."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        errors = np.where(ok, np.abs(y_pred - y_true), float(invalid_abs_error))
        exact = np.where(ok, y_pred == y_true, False)
    return ItemStats(errors, errors ** 2, exact.astype(float))


class Correlation(NamedTuple):
    """A correlation over valid answers (None when undefined) and how many items were left out."""

    value: float | None
    excluded: int


def _correlation(kind: str, y_true, y_pred, valid) -> Correlation:
    ok = usable(y_pred, valid)
    y, p = np.asarray(y_true, dtype=float)[ok], np.asarray(y_pred, dtype=float)[ok]
    excluded = int((~ok).sum())
    if y.size < 2 or np.all(y == y[0]) or np.all(p == p[0]):
        return Correlation(None, excluded)
    result = stats.spearmanr(y, p) if kind == "spearman" else stats.pearsonr(y, p)
    return Correlation(as_float(result[0]), excluded)


def spearman(y_true, y_pred, valid) -> Correlation:
    """Spearman ρ between gold and predicted percentages, invalid answers excluded."""
    return _correlation("spearman", y_true, y_pred, valid)


def pearson(y_true, y_pred, valid) -> Correlation:
    """Pearson r between gold and predicted percentages, invalid answers excluded."""
    return _correlation("pearson", y_true, y_pred, valid)


class EpisodeVOC(NamedTuple):
    """Mean value-order correlation over episodes (None if none qualify) and how many qualified."""

    value: float | None
    episodes: int


def clip_voc(y_pred, valid, episode_id, clip_index) -> EpisodeVOC:
    """Mean over episodes of Spearman(ŷ, clip position) across the episode's clips.

    An episode qualifies with ≥ 2 valid answers at ≥ 2 distinct positions;
    invalid answers are left out; constant predictions give 0.0. Items without
    a position (``clip_index`` None) are not clips and are skipped.
    """
    y_pred = np.asarray(y_pred, dtype=float)
    has_position = np.array([c is not None for c in clip_index], dtype=bool)
    ok = usable(y_pred, valid) & has_position
    names, codes = encode(np.asarray(episode_id, dtype=object)[ok])
    positions = np.array([c for c, keep in zip(clip_index, ok) if keep], dtype=float)
    preds = y_pred[ok]
    values = []
    for index in range(len(names)):
        mine = codes == index
        if mine.sum() < 2 or np.unique(positions[mine]).size < 2:
            continue
        rho = 0.0 if np.all(preds[mine] == preds[mine][0]) else stats.spearmanr(preds[mine], positions[mine])[0]
        values.append(float(rho))
    return EpisodeVOC(as_float(np.mean(values)) if values else None, len(values))
