"""The vectorised episode bootstrap against a slow per-resample recomputation."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from roboreward_bench.errors import RRBenchError
from roboreward_bench.metrics import ordinal, pairwise, regression, success
from roboreward_bench.metrics._inputs import prepare
from roboreward_bench.metrics.bootstrap import (
    bootstrap_cis, paired_bootstrap, resample_counts, resample_metrics,
)
from roboreward_bench.metrics.episode_stats import BOOTSTRAP_METRICS, episode_statistics, metrics_from_totals
from roboreward_bench.metrics.types import MetricOptions, ScoringInput

pytestmark = pytest.mark.filterwarnings("error")


def small_input(seed: int, n_episodes: int = 40, noise: int = 1) -> ScoringInput:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_episodes)
    episode = np.repeat([f"ep{i:03d}" for i in range(n_episodes)], sizes)
    n = episode.size
    y = rng.integers(1, 6, n)
    pred = np.clip(y + rng.integers(-noise, noise + 1, n), 1, 5).astype(float)
    pred[rng.random(n) < 0.05] = 6.5
    valid = rng.random(n) > 0.1
    errored = ~valid & (rng.random(n) < 0.4)
    pred[~valid] = np.nan
    subset = np.array([f"s{int(e[2:]) % 4}" for e in episode])   # episodes nested in subsets
    return ScoringInput(y, pred, valid, errored, subset, episode)


def naive_metrics(data: ScoringInput, options: MetricOptions) -> dict[str, float | None]:
    """Every bootstrap metric computed directly by the public per-metric functions."""
    y, p, v = data.y_true, data.y_pred, data.valid
    scores = success.success_scores(y, p, v, options.success_threshold)
    n = len(y)
    return {
        "mae_micro": regression.mae(y, p, v), "mae_macro": regression.mae_macro(y, p, v, data.subset),
        "rmse_micro": regression.rmse(y, p, v), "rmse_macro": regression.rmse_macro(y, p, v, data.subset),
        "exact_acc": ordinal.exact_accuracy(y, p, v), "within1_acc": ordinal.within1_accuracy(y, p, v),
        "qwk": ordinal.quadratic_weighted_kappa(y, p, v),
        "pairwise_acc": pairwise.pairwise_accuracy(y, p, v, data.episode_id),
        "success_precision": scores.precision, "success_recall": scores.recall, "success_f1": scores.f1,
        "success_balanced_acc": scores.balanced_accuracy,
        "near_miss_fpr": success.near_miss_fpr(y, p, v, options.success_threshold),
        "invalid_rate": float((~v).mean()) if n else None,
        "error_rate": float(data.errored.mean()) if n else None,
    }


def resampled(data: ScoringInput, counts: np.ndarray) -> ScoringInput:
    """The resample spelled out: each drawn copy of an episode becomes its own episode."""
    episodes = np.unique(data.episode_id)
    rows, ids = [], []
    for e, copies in zip(episodes, counts):
        members = np.flatnonzero(data.episode_id == e)
        for copy in range(int(copies)):
            rows.extend(members)
            ids.extend([f"{e}#{copy}"] * len(members))
    rows = np.array(rows, dtype=int)
    return replace(data, y_true=data.y_true[rows], y_pred=data.y_pred[rows], valid=data.valid[rows],
                   errored=data.errored[rows], subset=data.subset[rows], episode_id=np.array(ids))


def as_nan(value):
    return math.nan if value is None else value


def test_counts_are_seeded_draws_of_whole_episodes():
    a = np.vstack(list(resample_counts(50, 300, seed=7)))
    b = np.vstack(list(resample_counts(50, 300, seed=7)))
    c = np.vstack(list(resample_counts(50, 300, seed=8)))
    assert a.shape == (300, 50)
    assert (a == b).all() and (a != c).any()
    assert (a.sum(axis=1) == 50).all()
    assert a.mean() == pytest.approx(1.0)   # every episode equally likely


@pytest.mark.parametrize("seed,threshold", [(0, 5.0), (1, 4.5)])
def test_vectorised_resample_metrics_equal_naive_recomputation(seed, threshold):
    data = prepare(small_input(seed))
    options = MetricOptions(success_threshold=threshold, resamples=25, seed=seed)
    stats = episode_statistics(data, options)
    counts = np.vstack(list(resample_counts(stats.n_episodes, options.resamples, options.seed)))
    fast = resample_metrics(stats, options.resamples, options.seed)
    for b in range(options.resamples):
        slow = naive_metrics(resampled(data, counts[b]), options)
        for name in BOOTSTRAP_METRICS:
            assert fast[name][b] == pytest.approx(as_nan(slow[name]), nan_ok=True), (name, b)


def test_full_sample_totals_give_the_point_estimates():
    data = prepare(small_input(2))
    options = MetricOptions()
    stats = episode_statistics(data, options)
    point = metrics_from_totals(stats.matrix.sum(axis=0), stats.columns)
    for name, value in naive_metrics(data, options).items():
        assert point[name] == pytest.approx(as_nan(value), nan_ok=True), name


def test_point_estimate_lies_inside_its_ci_and_seed_reproduces():
    data = small_input(3, n_episodes=150)
    options = MetricOptions(resamples=400, seed=11)
    cis = bootstrap_cis(data, options)
    again = bootstrap_cis(data, options)
    assert cis == again
    point = naive_metrics(prepare(data), options)
    for name in BOOTSTRAP_METRICS:
        low, high = cis[name]
        assert low is not None and low <= point[name] <= high, (name, low, point[name], high)
        assert high - low > 0, name


def test_cis_widen_when_episodes_are_clustered():
    # Same items, but one episode per item vs. items grouped into few episodes:
    # when an episode's items err together, resampling whole episodes must widen the CI.
    rng = np.random.default_rng(4)
    n = 600
    episode = np.repeat(np.arange(30), 20).astype(str)
    bad_episode = rng.random(30) < 0.3
    y = np.full(n, 3)
    pred = np.where(np.repeat(bad_episode, 20), 5.0, 3.0)
    base = ScoringInput(y, pred, np.ones(n, bool), np.zeros(n, bool), np.full(n, "s"), episode)
    per_item = replace(base, episode_id=np.arange(n).astype(str))
    options = MetricOptions(resamples=300, seed=0)
    clustered = bootstrap_cis(base, options, ["mae_micro"])["mae_micro"]
    independent = bootstrap_cis(per_item, options, ["mae_micro"])["mae_micro"]
    assert clustered[1] - clustered[0] > 2 * (independent[1] - independent[0])


def test_paired_bootstrap_matches_naive_differences():
    a = small_input(5, noise=0)
    b = replace(a, y_pred=np.where(a.valid, np.clip(a.y_pred + 1, 1, 5), np.nan))
    options = MetricOptions(resamples=30, seed=3)
    result = paired_bootstrap(a, b, "mae_micro", options)
    pa, pb = prepare(a), prepare(b)
    counts = np.vstack(list(resample_counts(len(np.unique(a.episode_id)), 30, 3)))
    diffs = np.array([naive_metrics(resampled(pa, c), options)["mae_micro"]
                      - naive_metrics(resampled(pb, c), options)["mae_micro"] for c in counts])
    assert result.difference == pytest.approx(regression.mae(pa.y_true, pa.y_pred, pa.valid)
                                              - regression.mae(pb.y_true, pb.y_pred, pb.valid))
    assert (result.ci_low, result.ci_high) == pytest.approx(tuple(np.percentile(diffs, [2.5, 97.5])))
    assert result.a_better == pytest.approx(np.mean((diffs < 0) + 0.5 * (diffs == 0)))
    assert result.a_better > 0.9 and result.difference < 0


def test_paired_bootstrap_of_identical_predictions_is_a_coin_flip():
    a = small_input(6)
    result = paired_bootstrap(a, a, "qwk", MetricOptions(resamples=50))
    assert result.difference == 0 and (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.a_better == 0.5


def test_paired_bootstrap_rejects_different_items_and_unknown_metrics():
    a = small_input(7)
    other = replace(a, y_true=np.roll(a.y_true, 1))
    with pytest.raises(RRBenchError, match="y_true of item #"):
        paired_bootstrap(a, other, "mae_micro")
    with pytest.raises(RRBenchError, match="Did you mean 'mae_macro'"):
        paired_bootstrap(a, a, "mae_macr")
