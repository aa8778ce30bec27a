"""Uncertainty in the ranking: rank groups from a paired bootstrap against the neighbouring row.

Every verified row is re-scored on the same items, so the same cluster draws
(the task's bootstrap seed and resample count) give every row a distribution
of its headline metric over identical resamples. Row a minus row b, resample
by resample, is then exactly the paired bootstrap of a against b
(:func:`roboreward_bench.metrics.bootstrap.paired_bootstrap`), at the cost of
one bootstrap per row instead of one per pair. The validator computes each
row's draws while it re-scores (in its worker processes, and cached with the
scores); the board only subtracts neighbours.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from roboreward_bench.evaluation.scoring import metric_options
from roboreward_bench.leaderboard.metric_facts import has_ci
from roboreward_bench.metrics._inputs import prepare
from roboreward_bench.metrics.bootstrap import by_cluster, resample_counts
from roboreward_bench.metrics.catalogue import metric
from roboreward_bench.metrics.clusters import item_statistics, needed_statistics
from roboreward_bench.metrics.types import ScoringInput
from roboreward_bench.tasks.spec import TaskSpec

LEVEL = 0.95


@lru_cache(maxsize=4)
def _draws(n_clusters: int, resamples: int, seed: int) -> np.ndarray:
    """The cluster multiplicities of every resample: identical for every row of a task, so made once."""
    return np.vstack(list(resample_counts(n_clusters, resamples, seed)))


def headline_draws(spec: TaskSpec, inputs: ScoringInput, name: str) -> np.ndarray | None:
    """The metric over the task's bootstrap resamples (None when the metric has no bootstrap)."""
    options = metric_options(spec)
    if not has_ci(name) or options.resamples <= 0 or len(inputs) == 0:
        return None
    chosen = metric(name)
    prepared = prepare(inputs)
    stats = by_cluster(prepared, item_statistics(prepared, options, needed_statistics([chosen])))
    if stats.rows == 0:
        return None
    return chosen.from_totals(stats.totals(_draws(stats.rows, options.resamples, options.seed) @ stats.matrix))


def separable(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the paired 95% percentile interval of a − b excludes 0."""
    diff = a - b
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        return False
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(diff, [tail, 100 - tail])
    return bool(low > 0 or high < 0)


def rank_ranges(ordered: Sequence[str], ranks: Sequence[int], distributions: Mapping[str, np.ndarray]
                ) -> dict[str, tuple[int, int]]:
    """Slug → (best, worst) rank of its group; rows in ranked order, ``ranks`` their competition ranks.

    A group is a run of consecutive rows none of which the paired bootstrap
    separates from its neighbour. Rows without a distribution (reported rows)
    join no group.
    """
    bounds: dict[str, tuple[int, int]] = {}
    start = 0
    for end in range(len(ordered)):
        last = end == len(ordered) - 1
        if not last:
            a, b = distributions.get(ordered[end]), distributions.get(ordered[end + 1])
            tied = a is not None and b is not None and not separable(a, b)
            if tied:
                continue
        low, high = ranks[start], end + 1
        for slug in ordered[start:end + 1]:
            bounds[slug] = (low, max(high, ranks[start]))
        start = end + 1
    return bounds
