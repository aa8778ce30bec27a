"""Episode-clustered bootstrap: 95% CIs and paired comparisons.

The items of one video are not independent, so a resample draws whole
episodes: ``n_episodes`` of them with replacement. Resample b is a row of
episode multiplicities; its metric totals are that row times the
per-episode statistics matrix (:mod:`episode_stats`), so all resamples cost
a few matrix products. The seed fixes the draws: the same seed, episode
count and resample count always give the same multiplicity matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from roboreward_bench.errors import RRBenchError, did_you_mean
from roboreward_bench.metrics._inputs import as_float, encode, prepare
from roboreward_bench.metrics.episode_stats import (
    BOOTSTRAP_METRICS, LOWER_IS_BETTER, EpisodeStats, episode_statistics, metrics_from_totals,
)
from roboreward_bench.metrics.types import MetricOptions, ScoringInput

CHUNK = 128  # resamples per matrix product: bounds memory at CHUNK × n_episodes floats


def resample_counts(n_episodes: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield (≤ CHUNK × n_episodes) float blocks of episode multiplicities, one row per resample.

    Each row draws ``n_episodes`` episodes uniformly with replacement, so it
    sums to ``n_episodes``.
    """
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, CHUNK):
        rows = min(CHUNK, resamples - start)
        draws = rng.integers(0, n_episodes, size=(rows, n_episodes), dtype=np.int32)
        block = np.empty((rows, n_episodes))
        for r in range(rows):
            block[r] = np.bincount(draws[r], minlength=n_episodes)
        yield block


def by_cluster(stats: EpisodeStats, inputs: ScoringInput) -> EpisodeStats:
    """Per-episode rows summed into per-cluster rows (``inputs.cluster_id``), so a resample draws
    whole clusters; unchanged when the input names no clusters. ``inputs`` must be prepared."""
    if inputs.cluster_id is None:
        return stats
    _, episode = encode(inputs.episode_id)
    cluster_names, cluster = encode(np.asarray(inputs.cluster_id).astype(str))
    episode_cluster = np.zeros(stats.n_episodes, dtype=np.int64)
    episode_cluster[episode] = cluster  # an episode lies in one cluster
    matrix = np.zeros((len(cluster_names), stats.matrix.shape[1]))
    np.add.at(matrix, episode_cluster, stats.matrix)
    return EpisodeStats(matrix, stats.columns, cluster_names, stats.subset_names)


def resample_metrics(stats: EpisodeStats, resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Every bootstrap metric for every resample: name → array of shape (resamples,)."""
    parts: list[dict[str, np.ndarray]] = []
    if stats.n_episodes == 0:
        return {name: np.full(resamples, np.nan) for name in BOOTSTRAP_METRICS}
    for counts in resample_counts(stats.n_episodes, resamples, seed):
        parts.append(metrics_from_totals(counts @ stats.matrix, stats.columns))
    return {name: np.concatenate([p[name] for p in parts]) if parts else np.empty(0)
            for name in BOOTSTRAP_METRICS}


def percentile_ci(values: np.ndarray) -> tuple[float | None, float | None]:
    """The 2.5th and 97.5th percentiles of the defined (finite) resample values."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return as_float(low), as_float(high)


def bootstrap_cis(inputs: ScoringInput, options: MetricOptions,
                  names: Sequence[str] = BOOTSTRAP_METRICS) -> dict[str, tuple[float | None, float | None]]:
    """95% episode-clustered percentile CIs for the named metrics (``options.resamples`` draws)."""
    return bootstrap_cis_prepared(prepare(inputs), options, names)


def bootstrap_cis_prepared(prepared: ScoringInput, options: MetricOptions,
                           names: Sequence[str]) -> dict[str, tuple[float | None, float | None]]:
    """:func:`bootstrap_cis` for input that has already been through ``prepare``."""
    if options.resamples <= 0 or len(prepared) == 0:
        return {name: (None, None) for name in names}
    stats = by_cluster(episode_statistics(prepared, options), prepared)
    distribution = resample_metrics(stats, options.resamples, options.seed)
    return {name: percentile_ci(distribution[name]) for name in names}


@dataclass(frozen=True)
class PairedComparison:
    """Model a minus model b on the same items and the same resamples.

    ``a_better`` is the share of resamples where a beats b (ties count ½),
    among resamples where both are defined.
    """

    metric: str
    value_a: float | None
    value_b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    a_better: float | None
    resamples: int


def _check_same_items(a: ScoringInput, b: ScoringInput) -> None:
    if len(a) != len(b):
        raise RRBenchError(f"paired bootstrap: the two prediction sets have {len(a)} and {len(b)} items")
    for field in ("y_true", "episode_id", "subset"):
        differs = np.asarray(getattr(a, field)) != np.asarray(getattr(b, field))
        if differs.any():
            first = int(np.flatnonzero(differs)[0])
            raise RRBenchError(
                f"paired bootstrap: {field} of item #{first} differs between the two prediction sets")


def _paired_differences(stats_a: EpisodeStats, stats_b: EpisodeStats, metric: str,
                        options: MetricOptions) -> np.ndarray:
    if options.resamples <= 0 or stats_a.n_episodes == 0:
        return np.empty(0)
    width = stats_a.matrix.shape[1]
    joint = np.hstack([stats_a.matrix, stats_b.matrix])
    parts = []
    for counts in resample_counts(stats_a.n_episodes, options.resamples, options.seed):
        totals = counts @ joint
        parts.append(metrics_from_totals(totals[:, :width], stats_a.columns)[metric]
                     - metrics_from_totals(totals[:, width:], stats_b.columns)[metric])
    return np.concatenate(parts)


def paired_bootstrap(input_a: ScoringInput, input_b: ScoringInput, metric: str,
                     options: MetricOptions = MetricOptions()) -> PairedComparison:
    """Compare two prediction sets for the same items on one bootstrap metric.

    Both are resampled with the same episode draws, so the CI of a − b
    reflects only how the models differ, not which episodes were drawn.
    """
    if metric not in BOOTSTRAP_METRICS:
        raise RRBenchError(f"paired bootstrap: unknown metric {metric!r}."
                           + did_you_mean(metric, list(BOOTSTRAP_METRICS))
                           + f" Known: {', '.join(BOOTSTRAP_METRICS)}")
    a, b = prepare(input_a), prepare(input_b)
    _check_same_items(a, b)
    stats_a, stats_b = by_cluster(episode_statistics(a, options), a), by_cluster(episode_statistics(b, options), b)
    point_a = metrics_from_totals(stats_a.matrix.sum(axis=0), stats_a.columns)[metric]
    point_b = metrics_from_totals(stats_b.matrix.sum(axis=0), stats_b.columns)[metric]
    diffs = _paired_differences(stats_a, stats_b, metric, options)
    low, high = percentile_ci(diffs)
    defined = diffs[np.isfinite(diffs)]
    better = -defined if metric in LOWER_IS_BETTER else defined
    a_better = float(np.mean((better > 0) + 0.5 * (better == 0))) if defined.size else None
    return PairedComparison(
        metric=metric, value_a=as_float(point_a), value_b=as_float(point_b),
        difference=as_float(point_a - point_b), ci_low=low, ci_high=high, a_better=a_better,
        resamples=int(options.resamples),
    )
