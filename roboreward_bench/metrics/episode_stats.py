"""Per-episode sufficient statistics, and the headline metrics as formulas over their totals.

Every metric that gets a bootstrap CI is a closed-form function of sums over
items: error sums and counts per subset, hit counts, a 5×5 confusion table,
pair credits, success confusion counts. Summing an episode's rows once gives
an (episodes × columns) matrix; a resample is then a vector of episode
multiplicities, and its totals are one matrix product. The formulas here turn
totals of shape (..., columns) into metric values of shape (...), nan where a
metric is undefined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roboreward_bench.metrics._inputs import encode
from roboreward_bench.metrics.ordinal import exact_hits, qwk_categories, within1_hits
from roboreward_bench.metrics.pairwise import pair_scores_by_episode
from roboreward_bench.metrics.regression import abs_errors
from roboreward_bench.metrics.success import NEAR_MISS_LABEL, gold_success, predicted_success
from roboreward_bench.metrics.types import MetricOptions, ScoringInput

# Metrics the bootstrap gives CIs for, and those where lower is better.
BOOTSTRAP_METRICS = (
    "mae_micro", "mae_macro", "rmse_micro", "rmse_macro", "exact_acc", "within1_acc", "qwk",
    "pairwise_acc", "success_precision", "success_recall", "success_f1", "success_balanced_acc",
    "near_miss_fpr", "invalid_rate", "error_rate",
)
LOWER_IS_BETTER = frozenset({"mae_micro", "mae_macro", "rmse_micro", "rmse_macro", "near_miss_fpr",
                             "invalid_rate", "error_rate"})

_SINGLE_COLUMNS = ("exact", "within1", "invalid", "errored", "pair_credit", "pairs",
                   "tp", "fp", "fn", "tn", "near_misses", "near_miss_calls")
_QWK_WEIGHTS = (np.arange(5)[:, None] - np.arange(5)[None, :]) ** 2.0


@dataclass(frozen=True, eq=False)
class EpisodeStats:
    """``matrix[e, c]``: column c summed over episode e's items; ``columns`` names the slices."""

    matrix: np.ndarray
    columns: dict[str, slice]
    episode_ids: np.ndarray
    subset_names: np.ndarray

    @property
    def n_episodes(self) -> int:
        return int(self.matrix.shape[0])


def _layout(n_subsets: int) -> dict[str, slice]:
    widths = [("items", n_subsets), ("abs", n_subsets), ("sq", n_subsets), ("confusion", 25)]
    widths += [(name, 1) for name in _SINGLE_COLUMNS]
    columns, start = {}, 0
    for name, width in widths:
        columns[name] = slice(start, start + width)
        start += width
    return columns


def episode_statistics(inputs: ScoringInput, options: MetricOptions) -> EpisodeStats:
    """Sum every item's contributions into per-episode rows. ``inputs`` must be prepared."""
    episode_ids, episode = encode(inputs.episode_id)
    subset_names, subset = encode(inputs.subset)
    n_ep, n_sub = len(episode_ids), len(subset_names)
    columns = _layout(n_sub)
    matrix = np.zeros((n_ep, columns["near_miss_calls"].stop))
    y, pred, ok = inputs.y_true, inputs.y_pred, inputs.valid

    def by_episode(weights, width=1, cell=None):
        index = episode if cell is None else episode * width + cell
        return np.bincount(index, weights=weights, minlength=n_ep * width).reshape(n_ep, width)

    errors = abs_errors(y, pred, ok, options.invalid_abs_error)
    matrix[:, columns["items"]] = by_episode(None, n_sub, subset)
    matrix[:, columns["abs"]] = by_episode(errors, n_sub, subset)
    matrix[:, columns["sq"]] = by_episode(errors ** 2, n_sub, subset)
    matrix[:, columns["confusion"]] = by_episode(None, 25, (y - 1) * 5 + qwk_categories(y, pred, ok) - 1)
    gold = gold_success(y)
    called = predicted_success(pred, ok, options.success_threshold)
    near = y == NEAR_MISS_LABEL
    credit, pairs = pair_scores_by_episode(y, pred, ok, episode, n_ep)
    singles = {
        "exact": exact_hits(y, pred, ok), "within1": within1_hits(y, pred, ok),
        "invalid": ~ok, "errored": inputs.errored,
        "tp": gold & called, "fp": ~gold & called, "fn": gold & ~called, "tn": ~gold & ~called,
        "near_misses": near, "near_miss_calls": near & called,
    }
    for name, flags in singles.items():
        matrix[:, columns[name]] = by_episode(flags.astype(float))
    matrix[:, columns["pair_credit"]] = credit[:, None]
    matrix[:, columns["pairs"]] = pairs[:, None]
    return EpisodeStats(matrix, columns, episode_ids, subset_names)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _mean_over_present(per_subset: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the subsets present in each resample (a resample may miss a small subset)."""
    count = present.sum(axis=-1)
    total = np.where(present, per_subset, 0.0).sum(axis=-1)
    return _ratio(total, count)


def _kappa(confusion: np.ndarray) -> np.ndarray:
    table = confusion.reshape(confusion.shape[:-1] + (5, 5))
    n = table.sum(axis=(-2, -1))
    with np.errstate(all="ignore"):
        expected = table.sum(axis=-1)[..., :, None] * table.sum(axis=-2)[..., None, :] / n[..., None, None]
    disagreement = (table * _QWK_WEIGHTS).sum(axis=(-2, -1))
    chance = np.where(n[..., None, None] > 0, expected, 0.0)
    chance = (chance * _QWK_WEIGHTS).sum(axis=(-2, -1))
    return 1.0 - _ratio(disagreement, chance)


def metrics_from_totals(totals: np.ndarray, columns: dict[str, slice]) -> dict[str, np.ndarray]:
    """Every metric in :data:`BOOTSTRAP_METRICS` from column totals of shape (..., columns)."""
    col = {name: totals[..., s] for name, s in columns.items()}
    one = {name: col[name][..., 0] for name in _SINGLE_COLUMNS}
    per_subset_n, per_subset_abs, per_subset_sq = col["items"], col["abs"], col["sq"]
    n = per_subset_n.sum(axis=-1)
    present = per_subset_n > 0
    tp, fp, fn, tn = one["tp"], one["fp"], one["fn"], one["tn"]
    with np.errstate(all="ignore"):
        return {
            "mae_micro": _ratio(per_subset_abs.sum(axis=-1), n),
            "mae_macro": _mean_over_present(_ratio(per_subset_abs, per_subset_n), present),
            "rmse_micro": np.sqrt(_ratio(per_subset_sq.sum(axis=-1), n)),
            "rmse_macro": _mean_over_present(np.sqrt(_ratio(per_subset_sq, per_subset_n)), present),
            "exact_acc": _ratio(one["exact"], n),
            "within1_acc": _ratio(one["within1"], n),
            "qwk": _kappa(col["confusion"]),
            "pairwise_acc": _ratio(one["pair_credit"], one["pairs"]),
            "success_precision": _ratio(tp, tp + fp),
            "success_recall": _ratio(tp, tp + fn),
            "success_f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "success_balanced_acc": (_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2,
            "near_miss_fpr": _ratio(one["near_miss_calls"], one["near_misses"]),
            "invalid_rate": _ratio(one["invalid"], n),
            "error_rate": _ratio(one["errored"], n),
        }
