"""Cluster bootstrap: 95% CIs and paired comparisons.

The items of one video (or one initial state) are not independent, so a
resample draws whole clusters: ``n_clusters`` of them with replacement.
Resample b is a row of cluster multiplicities; its totals are that row times
the per-cluster statistics matrix (:mod:`clusters`), and every CI metric's
formula turns them into values, so all resamples cost a few matrix products.
The seed fixes the draws: the same seed, cluster count and resample count
always give the same multiplicity matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from roboreward_bench.errors import RRBenchError, did_you_mean
from roboreward_bench.metrics._inputs import as_float, encode, prepare
from roboreward_bench.metrics.catalogue import Metric, catalogue, metric
from roboreward_bench.metrics.clusters import ClusterStats, cluster_statistics, item_statistics, needed_statistics
from roboreward_bench.metrics.types import MetricOptions, ScoringInput

CHUNK = 128  # resamples per matrix product: bounds memory at CHUNK × n_clusters floats


def resample_counts(n_clusters: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield (≤ CHUNK × n_clusters) float blocks of cluster multiplicities, one row per resample.

    Each row draws ``n_clusters`` clusters uniformly with replacement, so it
    sums to ``n_clusters``.
    """
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, CHUNK):
        rows = min(CHUNK, resamples - start)
        draws = rng.integers(0, n_clusters, size=(rows, n_clusters), dtype=np.int32)
        block = np.empty((rows, n_clusters))
        for r in range(rows):
            block[r] = np.bincount(draws[r], minlength=n_clusters)
        yield block


def resample_values(stats: ClusterStats, metrics: Sequence[Metric], resamples: int,
                    seed: int) -> dict[str, np.ndarray]:
    """Every listed CI metric for every resample: name → array of shape (resamples,)."""
    if stats.rows == 0:
        return {m.name: np.full(resamples, np.nan) for m in metrics}
    parts = []
    for counts in resample_counts(stats.rows, resamples, seed):
        totals = stats.totals(counts @ stats.matrix)
        parts.append({m.name: m.from_totals(totals) for m in metrics})
    return {m.name: np.concatenate([p[m.name] for p in parts]) if parts else np.empty(0) for m in metrics}


def percentile_ci(values: np.ndarray) -> tuple[float | None, float | None]:
    """The 2.5th and 97.5th percentiles of the defined (finite) resample values."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return as_float(low), as_float(high)


def bootstrap_cis(stats: ClusterStats, metrics: Sequence[Metric],
                  options: MetricOptions) -> dict[str, tuple[float | None, float | None]]:
    """95% cluster-bootstrap percentile CIs (``options.resamples`` draws) of the listed CI metrics."""
    if options.resamples <= 0 or stats.rows == 0:
        return {m.name: (None, None) for m in metrics}
    distribution = resample_values(stats, metrics, options.resamples, options.seed)
    return {m.name: percentile_ci(distribution[m.name]) for m in metrics}


def by_cluster(inputs: ScoringInput, per_item: dict[str, np.ndarray]) -> ClusterStats:
    """Per-item statistics of prepared ``inputs`` summed per bootstrap cluster."""
    cluster_names, cluster = encode(inputs.cluster)
    subset_names, subset = encode(inputs.subset)
    return cluster_statistics(per_item, cluster, len(cluster_names), subset, len(subset_names))


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
    for field in ("y_true", "episode_id", "cluster", "subset"):
        differs = np.asarray(getattr(a, field)) != np.asarray(getattr(b, field))
        if differs.any():
            first = int(np.flatnonzero(differs)[0])
            raise RRBenchError(
                f"paired bootstrap: {field} of item #{first} differs between the two prediction sets")


def paired_bootstrap(input_a: ScoringInput, input_b: ScoringInput, name: str,
                     options: MetricOptions = MetricOptions()) -> PairedComparison:
    """Compare two prediction sets for the same items on one CI metric.

    Both are resampled with the same cluster draws, so the CI of a − b
    reflects only how the models differ, not which clusters were drawn.
    """
    with_ci = [m.name for m in catalogue() if m.ci]
    if name not in with_ci:
        raise RRBenchError(f"paired bootstrap: {name!r} is not a metric with a CI."
                           + did_you_mean(name, with_ci) + f" Known: {', '.join(with_ci)}")
    chosen = metric(name)
    a, b = prepare(input_a), prepare(input_b)
    _check_same_items(a, b)
    names = needed_statistics([chosen])
    stats_a = by_cluster(a, item_statistics(a, options, names))
    stats_b = by_cluster(b, item_statistics(b, options, names))
    point_a = chosen.from_totals(stats_a.point_totals())
    point_b = chosen.from_totals(stats_b.point_totals())
    diffs = np.empty(0)
    if options.resamples > 0 and stats_a.rows > 0:
        joint = np.hstack([stats_a.matrix, stats_b.matrix])
        width = stats_a.matrix.shape[1]
        parts = []
        for counts in resample_counts(stats_a.rows, options.resamples, options.seed):
            sums = counts @ joint
            parts.append(chosen.from_totals(stats_a.totals(sums[:, :width]))
                         - chosen.from_totals(stats_b.totals(sums[:, width:])))
        diffs = np.concatenate(parts)
    low, high = percentile_ci(diffs)
    defined = diffs[np.isfinite(diffs)]
    better = defined if chosen.higher_is_better else -defined
    a_better = float(np.mean((better > 0) + 0.5 * (better == 0))) if defined.size else None
    return PairedComparison(
        metric=name, value_a=as_float(point_a), value_b=as_float(point_b),
        difference=as_float(point_a - point_b), ci_low=low, ci_high=high, a_better=a_better,
        resamples=int(options.resamples),
    )
