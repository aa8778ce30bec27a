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
    from scipy import stats

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
    from scipy import stats

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


# -- the catalogue's declarations (scored by evaluation/protocol_scoring.py from these per-item columns) --

def _register() -> None:
    from roboreward_bench.metrics.catalogue import register_metric
    from roboreward_bench.plugins import PROTOCOLS

    PROTOCOLS.add("progress", "progress", "a percentage 0–100 per item (HELM's progress prediction)")

    def declare(name: str, label: str, higher: bool, value_range, column: str | None = None):
        return register_metric(name, label=label, group="progress", higher_is_better=higher, range=value_range,
                               protocol="progress", subset_column=column)

    @declare("progress_mae", "MAE, percentage points (HELM: invalid = 4)", False, (0, None), "progress_mae")
    def progress_mae(cols):
        """Mean |ŷ − y| in percentage points; an invalid or errored answer costs 4 (HELM's rule)."""
        return float(np.mean(cols["abs"]))

    @declare("progress_mae_strict", "MAE, strict (invalid = 100)", False, (0, None), "progress_mae_strict")
    def progress_mae_strict(cols):
        """Mean |ŷ − y| in percentage points; an invalid or errored answer costs 100."""
        return float(np.mean(cols["abs_strict"]))

    @declare("progress_mse", "squared error (HELM: invalid = 16)", False, (0, None))
    def progress_mse(cols):
        """Mean (ŷ − y)², HELM's squared_error; an invalid answer costs 16."""
        return float(np.mean(cols["squared"]))

    @declare("progress_exact_match", "exact match", True, (0, 1))
    def progress_exact_match(cols):
        """Share of answers equal to the gold percentage (HELM's exact_match)."""
        return float(np.mean(cols["exact"]))

    @declare("progress_spearman", "Spearman ρ (valid answers)", True, (-1, 1))
    def progress_spearman(cols):
        """Spearman ρ between gold and predicted percentages, invalid answers excluded."""
        return spearman(cols["y_true"], cols["y_pred"], cols["valid"]).value

    @declare("progress_pearson", "Pearson r (valid answers)", True, (-1, 1))
    def progress_pearson(cols):
        """Pearson r between gold and predicted percentages, invalid answers excluded."""
        return pearson(cols["y_true"], cols["y_pred"], cols["valid"]).value

    @declare("progress_voc", "VOC over an episode's clips", True, (-1, 1))
    def progress_voc(cols):
        """Mean over episodes of Spearman(ŷ, clip position); see :func:`clip_voc`."""
        return clip_voc(cols["y_pred"], cols["valid"], cols["episode"], cols["clip_index"]).value


_register()
