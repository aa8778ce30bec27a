"""Same-video pairwise accuracy: does the better outcome of one video get the higher reward?"""

from __future__ import annotations

import numpy as np

from roboreward_bench.metrics._inputs import encode, usable
from roboreward_bench.metrics.catalogue import ratio, register_group, register_metric, register_statistic

register_group("pairwise", notes=lambda d, o, t: {"pairs": int(t["pairs"])})


def pair_scores_per_item(y_true, y_pred, valid, episode_id) -> tuple[np.ndarray, np.ndarray]:
    """Per item: its credit and its number of pairs with the lower-gold items of its episode.

    Pairs are items of one episode with different gold labels; each pair is
    counted once, on its higher-gold item. A pair scores 1 if ŷ orders it as y
    does, ½ for a tie in ŷ, 0 if ŷ reverses it or either answer is invalid.

    Counting is vectorised: each valid item is matched against the lower-gold
    valid items of its episode by binary search on (episode, rank of ŷ) keys,
    one pass per gold level, so the pairs are never materialised.
    """
    names, episode = encode(episode_id)
    _, gold = encode(np.asarray(y_true, dtype=float))
    if gold.size == 0:
        return np.zeros(0), np.zeros(0)
    n_levels = int(gold.max()) + 1
    per_level = np.bincount(episode * n_levels + gold, minlength=len(names) * n_levels).reshape(-1, n_levels)
    lower = np.cumsum(per_level, axis=1) - per_level
    pairs = lower[episode, gold].astype(float)
    credit = np.zeros(gold.size)
    ok = usable(y_pred, valid)
    if ok.sum() < 2:
        return credit, pairs
    _, pred_rank = encode(np.asarray(y_pred, dtype=float)[ok])
    stride = int(pred_rank.max()) + 1
    ok_episode, ok_gold, ok_credit = episode[ok], gold[ok], np.zeros(int(ok.sum()))
    keys = ok_episode * stride + pred_rank
    for level in range(1, n_levels):
        lower_keys = np.sort(keys[ok_gold < level])
        upper = ok_gold == level
        if lower_keys.size == 0 or not upper.any():
            continue
        first_in_episode = np.searchsorted(lower_keys, ok_episode[upper] * stride, side="left")
        below = np.searchsorted(lower_keys, keys[upper], side="left")
        at_or_below = np.searchsorted(lower_keys, keys[upper], side="right")
        ok_credit[upper] = (below - first_in_episode) + 0.5 * (at_or_below - below)
    credit[ok] = ok_credit
    return credit, pairs


_last: list = [None, None]  # (inputs, result): both statistics below come from one pass


def _pair_scores(d) -> tuple[np.ndarray, np.ndarray]:
    if _last[0] is not d:  # holding d keeps its id from being reused while cached
        _last[:] = [d, pair_scores_per_item(d.y_true, d.y_pred, d.valid, d.episode_id)]
    return _last[1]


@register_statistic("pair_credit")
def _pair_credit(d, o) -> np.ndarray:
    """Pair credit, counted on the higher-gold item of each same-episode pair."""
    return _pair_scores(d)[0]


@register_statistic("pairs")
def _pairs(d, o) -> np.ndarray:
    """Same-episode pairs with different gold labels, counted on the higher-gold item."""
    return _pair_scores(d)[1]


@register_metric("pairwise_acc", label="pairwise acc", group="pairwise", higher_is_better=True, range=(0, 1),
                 statistics=("pair_credit", "pairs"), subset_column="pairwise_acc", summary=True)
def pairwise_accuracy(t):
    """Share of same-episode, different-gold pairs that ŷ orders correctly (ties ½, invalid 0)."""
    return ratio(t["pair_credit"], t["pairs"])
