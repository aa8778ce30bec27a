"""Pairwise accuracy, best-of-N and VOC against brute-force loops written here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import spearmanr

from roboreward_bench.metrics.best_of_n import best_of_n
from roboreward_bench.metrics.pairwise import pair_scores_per_item
from roboreward_bench.metrics.voc import grouped_average_ranks, value_order_correlation

pytestmark = pytest.mark.filterwarnings("error")


def episodes_with_clips(seed: int, n_episodes: int = 60):
    """Episodes of 1-7 items; predictions with ties, fractions and invalid answers."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 8, n_episodes)
    episode = np.repeat([f"ep{i}" for i in range(n_episodes)], sizes)
    n = episode.size
    y = rng.integers(1, 6, n)
    pred = np.clip(y + rng.integers(-1, 2, n), 1, 5).astype(float)
    pred[rng.random(n) < 0.1] = 3.5
    valid = rng.random(n) > 0.12
    pred[~valid] = np.nan
    return y, pred, valid, episode


def pairwise_accuracy(y, pred, valid, episode):
    """Pairwise accuracy from the per-item statistics the catalogue sums."""
    credit, pairs = pair_scores_per_item(y, pred, valid, episode)
    return credit.sum() / pairs.sum() if pairs.sum() else None


def ok(p, v) -> bool:
    return bool(v) and math.isfinite(p)


def ref_pairwise(y, pred, valid, episode):
    credit = pairs = 0.0
    for i, j in itertools.combinations(range(len(y)), 2):
        if episode[i] != episode[j] or y[i] == y[j]:
            continue
        pairs += 1
        if not (ok(pred[i], valid[i]) and ok(pred[j], valid[j])):
            continue
        if pred[i] == pred[j]:
            credit += 0.5
        elif (pred[i] < pred[j]) == (y[i] < y[j]):
            credit += 1
    return credit / pairs if pairs else None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pairwise_accuracy_matches_all_pairs_loop(seed):
    y, pred, valid, episode = episodes_with_clips(seed)
    shuffle = np.random.default_rng(seed).permutation(len(y))   # items need not be grouped
    args = (y[shuffle], pred[shuffle], valid[shuffle], episode[shuffle])
    assert pairwise_accuracy(*args) == pytest.approx(ref_pairwise(*args))


def test_pairwise_hand_worked():
    y = np.array([1, 3, 5, 2, 2])
    pred = np.array([2.0, 2.0, 4.0, np.nan, 1.0])
    valid = np.array([True, True, True, False, True])
    episode = np.array(["a", "a", "a", "b", "b"])
    # a: (1,3) tie ½, (1,5) right 1, (3,5) right 1; b has equal gold → no pair.
    assert pairwise_accuracy(y, pred, valid, episode) == pytest.approx(2.5 / 3)
    episode_c = np.array(["a", "a", "c", "c", "c"])
    # a: (1,3) tie ½; c: (5,2) with invalid → 0, (5,2) right 1, (2,2) no pair.
    assert pairwise_accuracy(y, pred, valid, episode_c) == pytest.approx(1.5 / 3)


def test_pairwise_without_pairs_is_none():
    assert pairwise_accuracy([3, 3, 4], [1.0, 2.0, 3.0], [True] * 3, ["a", "a", "b"]) is None


def ref_best_of_n(y, pred, valid, group, threshold=5):
    members: dict[str, list[int]] = {}
    for i, g in enumerate(group):
        members.setdefault(g, []).append(i)
    picked, oracle, random_pick = [], [], []
    for items in members.values():
        if len(items) < 2:
            continue
        score = {i: (pred[i] if ok(pred[i], valid[i]) else -math.inf) for i in items}
        best = max(score.values())
        top = [i for i in items if score[i] == best]
        picked.append(sum(y[i] >= threshold for i in top) / len(top))
        oracle.append(any(y[i] >= threshold for i in items))
        random_pick.append(sum(y[i] >= threshold for i in items) / len(items))
    if not picked:
        return None, None, None, 0
    return np.mean(picked), np.mean(oracle), np.mean(random_pick), len(picked)


@pytest.mark.parametrize("seed,threshold", [(4, 5), (5, 5), (6, 4)])
def test_best_of_n_matches_group_loop(seed, threshold):
    y, pred, valid, episode = episodes_with_clips(seed)
    result = best_of_n(y, pred, valid, episode, success_label=threshold)
    expected = ref_best_of_n(y, pred, valid, episode, threshold)
    assert result.groups == expected[3] > 0
    assert (result.value, result.oracle, result.random) == pytest.approx(expected[:3])


def test_best_of_n_ties_invalid_and_singletons():
    y = np.array([5, 1, 1, 5, 3, 5])
    pred = np.array([4.0, 4.0, np.nan, np.nan, np.nan, 5.0])
    valid = np.array([True, True, False, False, False, True])
    group = np.array(["g1", "g1", "g2", "g2", "g2", "g3"])
    result = best_of_n(y, pred, valid, group)
    # g1: tie between success and failure → ½; g2: all invalid → all tied → 1/3; g3 is a singleton.
    assert result.groups == 2
    assert result.value == pytest.approx((0.5 + 1 / 3) / 2)
    assert result.oracle == pytest.approx(1.0)
    assert best_of_n([5, 1], [5.0, 1.0], [True, True], ["x", "y"]) == (None, None, None, 0)


def test_grouped_average_ranks_equal_scipy_per_group():
    from scipy.stats import rankdata

    rng = np.random.default_rng(7)
    group = rng.integers(0, 30, 500)
    values = rng.integers(0, 6, 500).astype(float)
    values[rng.random(500) < 0.05] = np.inf
    ranks = grouped_average_ranks(group, values)
    for g in np.unique(group):
        assert ranks[group == g] == pytest.approx(rankdata(values[group == g]))


def progress_episodes(seed: int, n_episodes: int = 80):
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(n_episodes):
        final = 5 if rng.random() < 0.6 else int(rng.integers(1, 5))
        ends = sorted(rng.choice(np.arange(10, 200), int(rng.integers(0, 5)), replace=False))
        for k, end in enumerate(ends):
            rows.append((f"e{e}", int(end), "clip", int(rng.integers(1, final + 1))))
        rows.append((f"e{e}", -1, "full", final))
        if rng.random() < 0.5:
            rows.append((f"e{e}", -1, "counterfactual", 1))
    episode, clip_end, kind, y = (np.array(c) for c in zip(*rows))
    n = len(y)
    pred = np.clip(y + rng.integers(-1, 2, n), 1, 5).astype(float)
    pred[rng.random(n) < 0.1] = 9.0          # out-of-range answers; invalid rows keep junk values
    valid = rng.random(n) > 0.1
    return y, pred, valid, episode, clip_end, kind


def ref_voc(y, pred, valid, episode, clip_end, kind):
    rhos = []
    for e in sorted(set(episode)):
        idx = [i for i in range(len(y)) if episode[i] == e and kind[i] in ("full", "clip")]
        ends = {i: (math.inf if clip_end[i] == -1 else clip_end[i]) for i in idx}
        longest = max(ends.values())
        if any(y[i] != 5 for i in idx if ends[i] == longest):
            continue
        use = [i for i in idx if ok(pred[i], valid[i])]
        if len(use) < 2 or len({ends[i] for i in use}) < 2:
            continue
        p = [pred[i] for i in use]
        t = [ends[i] if ends[i] != math.inf else 10**9 for i in use]
        rhos.append(0.0 if len(set(p)) == 1 else spearmanr(p, t).statistic)
    return (float(np.mean(rhos)) if rhos else None), len(rhos)


@pytest.mark.parametrize("seed", [8, 9, 10])
def test_voc_matches_per_episode_scipy_loop(seed):
    data = progress_episodes(seed)
    result = value_order_correlation(*data)
    expected, episodes = ref_voc(*data)
    assert result.episodes == episodes > 5
    assert result.value == pytest.approx(expected)


def test_voc_hand_worked_and_edge_cases():
    episode = np.array(["a"] * 3 + ["b"] * 3)
    clip_end = np.array([10, 20, -1, 10, 20, -1])
    kind = np.array(["clip", "clip", "full"] * 2)
    y = np.array([2, 3, 5, 2, 3, 4])                       # b is not successful
    rising = np.array([1.0, 3.0, 5.0, 5.0, 1.0, 1.0])
    valid = np.ones(6, dtype=bool)
    assert value_order_correlation(y, rising, valid, episode, clip_end, kind) == (1.0, 1)
    flat = np.full(6, 4.0)
    assert value_order_correlation(y, flat, valid, episode, clip_end, kind) == (0.0, 1)
    one_valid = np.array([True, False, False, True, True, True])
    assert value_order_correlation(y, rising, one_valid, episode, clip_end, kind) == (None, 0)
    only_cf = np.array(["counterfactual"] * 6)
    assert value_order_correlation(y, rising, valid, episode, clip_end, only_cf) == (None, 0)
