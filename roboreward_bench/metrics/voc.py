"""Value-order correlation (VOC, from GVL): does predicted progress rise over a successful episode?"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from roboreward_bench.metrics._inputs import as_float, encode, usable
from roboreward_bench.metrics.catalogue import register_group, register_metric
from roboreward_bench.rubric import SUCCESS_LABEL

PROGRESS_KINDS = ("full", "clip")

register_group("voc", needs=("clip_end", "kind"), notes=lambda d, o, t: {"voc_episodes": _voc_result(d).episodes})


def grouped_average_ranks(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Rank of each value within its group (1-based, ties get their average rank).

    Equal to ``scipy.stats.rankdata`` run per group, without a Python loop.
    """
    n = group.size
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_run = new_group.copy()
    new_run[1:] |= v[1:] != v[:-1]
    run_starts = np.flatnonzero(new_run)
    run_ends = np.append(run_starts[1:], n)
    run_of = np.cumsum(new_run) - 1
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    ranks = np.empty(n)
    ranks[order] = (run_starts + run_ends - 1)[run_of] / 2.0 - group_start + 1
    return ranks


def _centred_sums(group: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int):
    count = np.bincount(group, minlength=n_groups)
    with np.errstate(all="ignore"):
        dx = x - (np.bincount(group, weights=x, minlength=n_groups) / count)[group]
        dy = y - (np.bincount(group, weights=y, minlength=n_groups) / count)[group]
    sxy = np.bincount(group, weights=dx * dy, minlength=n_groups)
    sxx = np.bincount(group, weights=dx * dx, minlength=n_groups)
    syy = np.bincount(group, weights=dy * dy, minlength=n_groups)
    return count, sxy, sxx, syy


class ValueOrderCorrelation(NamedTuple):
    """Mean VOC over qualifying episodes (None if none qualify) and how many qualified."""

    value: float | None
    episodes: int


def value_order_correlation(y_true, y_pred, valid, episode_id, clip_end, kind) -> ValueOrderCorrelation:
    """Mean over successful episodes of Spearman(ŷ, clip_end) across the episode's clips.

    Only ``full`` and ``clip`` items count (counterfactual instructions judge
    another goal). An episode is successful when its longest item(s), by
    clip_end with −1 meaning the whole video, have y == 5. It qualifies with
    ≥ 2 valid answers at ≥ 2 distinct clip_ends; invalid answers are left out.
    Constant predictions over a qualifying episode give 0.0.
    """
    keep = np.isin(np.asarray(kind).astype(str), PROGRESS_KINDS)
    if not keep.any():
        return ValueOrderCorrelation(None, 0)
    y_true = np.asarray(y_true)[keep]
    y_pred = np.asarray(y_pred, dtype=float)[keep]
    ok = usable(y_pred, np.asarray(valid)[keep])
    names, episode = encode(np.asarray(episode_id)[keep])
    n_episodes = len(names)
    end = np.asarray(clip_end, dtype=float)[keep]
    end = np.where(end < 0, np.inf, end)

    longest = np.full(n_episodes, -np.inf)
    np.maximum.at(longest, episode, end)
    unsuccessful_longest = (end == longest[episode]) & (y_true != SUCCESS_LABEL)
    successful = np.bincount(episode, weights=unsuccessful_longest, minlength=n_episodes) == 0

    chosen = ok & successful[episode]
    group = episode[chosen]
    pred_ranks = grouped_average_ranks(group, y_pred[chosen])
    end_ranks = grouped_average_ranks(group, end[chosen])
    count, sxy, sxx, syy = _centred_sums(group, pred_ranks, end_ranks, n_episodes)
    qualifies = successful & (count >= 2) & (syy > 0)
    if not qualifies.any():
        return ValueOrderCorrelation(None, 0)
    with np.errstate(all="ignore"):
        rho = np.where(sxx > 0, sxy / np.sqrt(sxx * syy), 0.0)
    return ValueOrderCorrelation(as_float(rho[qualifies].mean()), int(qualifies.sum()))


def _voc_result(d) -> ValueOrderCorrelation:
    return value_order_correlation(d.y_true, d.y_pred, d.valid, d.episode_id, d.clip_end, d.kind)


@register_metric("voc", label="VOC", group="voc", higher_is_better=True, range=(-1, 1))
def _voc(d, o):
    """Value-order correlation: mean Spearman(ŷ, clip end) over successful episodes (GVL)."""
    return _voc_result(d).value
