"""Same-video pairwise accuracy and best-of-N selection.

Both ask what RL needs from a reward model: does the better outcome get the
higher reward?
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from roboreward_bench.metrics._inputs import as_float, encode, usable


def pair_scores_by_episode(y_true, y_pred, valid, episode_code: np.ndarray,
                           n_episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per episode: the summed pair scores and the number of scored pairs.

    Pairs are items of one episode with different gold labels. A pair scores
    1 if ŷ orders it as y does, ½ for a tie in ŷ, 0 if ŷ reverses it or
    either answer is invalid. ``episode_code`` holds 0..n_episodes−1.

    Counting is vectorised: each valid item is matched against the lower-gold
    valid items of its episode by binary search on (episode, rank of ŷ) keys,
    one pass per gold level, so the pairs are never materialised.
    """
    episode_code = np.asarray(episode_code, dtype=np.int64)
    _, gold_code = encode(np.asarray(y_true, dtype=float))
    n_levels = int(gold_code.max()) + 1 if gold_code.size else 0
    per_level = np.bincount(episode_code * n_levels + gold_code,
                            minlength=n_episodes * n_levels).reshape(n_episodes, n_levels)
    sizes = per_level.sum(axis=1)
    n_pairs = (sizes.astype(float) ** 2 - (per_level.astype(float) ** 2).sum(axis=1)) / 2
    scores = np.zeros(n_episodes)
    ok = usable(y_pred, valid)
    if ok.sum() < 2:
        return scores, n_pairs
    _, pred_rank = encode(np.asarray(y_pred, dtype=float)[ok])
    stride = int(pred_rank.max()) + 1
    episode = episode_code[ok]
    gold = gold_code[ok]
    keys = episode * stride + pred_rank
    for level in range(1, n_levels):
        lower_keys = np.sort(keys[gold < level])
        upper = gold == level
        if lower_keys.size == 0 or not upper.any():
            continue
        first_in_episode = np.searchsorted(lower_keys, episode[upper] * stride, side="left")
        below = np.searchsorted(lower_keys, keys[upper], side="left")
        at_or_below = np.searchsorted(lower_keys, keys[upper], side="right")
        credit = (below - first_in_episode) + 0.5 * (at_or_below - below)
        scores += np.bincount(episode[upper], weights=credit, minlength=n_episodes)
    return scores, n_pairs


def pairwise_accuracy(y_true, y_pred, valid, episode_id) -> float | None:
    """Share of same-episode, different-gold pairs that ŷ orders correctly (ties ½).

    A pair with an invalid answer scores 0. None when no such pair exists.
    """
    names, codes = encode(episode_id)
    scores, n_pairs = pair_scores_by_episode(y_true, y_pred, valid, codes, len(names))
    total = n_pairs.sum()
    return float(scores.sum() / total) if total > 0 else None


class BestOfN(NamedTuple):
    """Best-of-N selection: the picked item's success rate, with oracle and random-pick rates."""

    value: float | None
    oracle: float | None
    random: float | None
    groups: int


def best_of_n(y_true, y_pred, valid, group_id, success_threshold: float = 5.0) -> BestOfN:
    """Success rate of the item a reward model would pick in each group of ≥ 2 attempts.

    Within a group (same task and initial state) the item with the highest ŷ
    is picked, invalid answers ranking below everything; the group scores the
    mean gold success (y ≥ ``success_threshold``, i.e. y == 5 by default)
    over the tied top items. ``oracle`` is the share of groups with any
    success, ``random`` the mean in-group success rate (a random pick).
    """
    names, group = encode(group_id)
    n_groups = len(names)
    success = (np.asarray(y_true, dtype=float) >= success_threshold).astype(float)
    score = np.where(usable(y_pred, valid), np.asarray(y_pred, dtype=float), -np.inf)
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, score)
    is_top = (score == top[group]).astype(float)
    sizes = np.bincount(group, minlength=n_groups)
    eligible = sizes >= 2
    if not eligible.any():
        return BestOfN(None, None, None, 0)
    picked = np.bincount(group, weights=is_top * success, minlength=n_groups)[eligible]
    n_top = np.bincount(group, weights=is_top, minlength=n_groups)[eligible]
    successes = np.bincount(group, weights=success, minlength=n_groups)[eligible]
    return BestOfN(
        value=as_float(np.mean(picked / n_top)),
        oracle=as_float(np.mean(successes > 0)),
        random=as_float(np.mean(successes / sizes[eligible])),
        groups=int(eligible.sum()),
    )
