"""The vectorised cluster bootstrap against a slow per-resample recomputation."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, precision_recall_fscore_support

from roboreward_bench.errors import RRBenchError
from roboreward_bench.metrics._inputs import prepare
from roboreward_bench.metrics.bootstrap import by_cluster, paired_bootstrap, resample_counts, resample_values
from roboreward_bench.metrics.catalogue import catalogue
from roboreward_bench.metrics.clusters import item_statistics, needed_statistics
from roboreward_bench.metrics.ordinal import qwk_categories
from roboreward_bench.metrics.suite import score
from roboreward_bench.metrics.types import MetricOptions, ScoringInput

pytestmark = pytest.mark.filterwarnings("error")
CI_METRICS = [m for m in catalogue() if m.ci]
CI_NAMES = [m.name for m in CI_METRICS]


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


def _pairwise(y, p, ok, episode):
    credit = pairs = 0.0
    for e in np.unique(episode):
        idx = np.flatnonzero(episode == e)
        for i in idx:
            for j in idx:
                if y[i] > y[j]:
                    pairs += 1
                    if ok[i] and ok[j]:
                        credit += 1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0
    return credit / pairs if pairs else None


def naive_metrics(data: ScoringInput, options: MetricOptions) -> dict[str, float | None]:
    """Every CI metric computed item by item here, with sklearn for the classification scores."""
    y, p = data.y_true, data.y_pred
    ok = data.valid & np.isfinite(p)
    n = len(y)
    errors = np.where(ok, np.abs(np.where(ok, p, 0) - y), options.invalid_abs_error)
    subsets = np.unique(data.subset)
    gold, called = y == 5, ok & (np.where(ok, p, 0) >= options.success_threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, f1, _ = precision_recall_fscore_support(
            gold, called, average="binary", zero_division=np.nan)
        balanced = balanced_accuracy_score(gold, called) if 0 < gold.sum() < n else None
        qwk = cohen_kappa_score(y, qwk_categories(y, p, ok), labels=[1, 2, 3, 4, 5], weights="quadratic")
    near = y == 4
    return {
        "mae_micro": errors.mean(), "mae_macro": np.mean([errors[data.subset == s].mean() for s in subsets]),
        "rmse_micro": math.sqrt((errors ** 2).mean()),
        "rmse_macro": np.mean([math.sqrt((errors[data.subset == s] ** 2).mean()) for s in subsets]),
        "exact_acc": (ok & (np.where(ok, p, 0) == y)).mean(),
        "within1_acc": (ok & (np.abs(np.where(ok, p, 0) - y) <= 1)).mean(),
        "qwk": None if math.isnan(qwk) else qwk,
        "pairwise_acc": _pairwise(y, p, ok, data.episode_id),
        "success_precision": None if math.isnan(precision) else precision,
        "success_recall": None if math.isnan(recall) else recall,
        "success_f1": None if math.isnan(f1) else f1, "success_balanced_acc": balanced,
        "near_miss_fpr": called[near].mean() if near.any() else None,
        "invalid_rate": (~ok).mean() if n else None, "error_rate": data.errored.mean() if n else None,
    }


def cluster_stats(data: ScoringInput, options: MetricOptions):
    return by_cluster(data, item_statistics(data, options, needed_statistics(CI_METRICS)))


def cis(data: ScoringInput, options: MetricOptions) -> dict[str, tuple]:
    report = score(data, options)
    return {name: (v.ci_low, v.ci_high) for name, v in report.overall.items() if name in CI_NAMES}


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
    stats = cluster_stats(data, options)
    counts = np.vstack(list(resample_counts(stats.rows, options.resamples, options.seed)))
    fast = resample_values(stats, CI_METRICS, options.resamples, options.seed)
    for b in range(options.resamples):
        slow = naive_metrics(resampled(data, counts[b]), options)
        for name in CI_NAMES:
            assert fast[name][b] == pytest.approx(as_nan(slow[name]), nan_ok=True), (name, b)


def test_full_sample_totals_give_the_point_estimates():
    data = prepare(small_input(2))
    options = MetricOptions()
    point = score(data, options).overall
    assert sorted(naive_metrics(data, options)) == sorted(CI_NAMES)
    for name, value in naive_metrics(data, options).items():
        assert as_nan(point[name].value) == pytest.approx(as_nan(value), nan_ok=True), name


def test_point_estimate_lies_inside_its_ci_and_seed_reproduces():
    data = small_input(3, n_episodes=150)
    options = MetricOptions(resamples=400, seed=11)
    first = cis(data, options)
    assert first == cis(data, options)
    point = naive_metrics(prepare(data), options)
    for name in CI_NAMES:
        low, high = first[name]
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
    clustered = cis(base, options)["mae_micro"]
    independent = cis(per_item, options)["mae_micro"]
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
    assert result.difference == pytest.approx(naive_metrics(pa, options)["mae_micro"]
                                              - naive_metrics(pb, options)["mae_micro"])
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
