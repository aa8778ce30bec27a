"""Per-cluster sufficient statistics: the one path from items to every CI metric's value.

The catalogue's statistics are per-item quantities. Summing them within each
cluster (by default an episode: the items of one video are not independent)
gives a (clusters × columns) matrix. The point value of a metric is its
formula applied to the column totals over all clusters; a bootstrap resample
is a vector of cluster multiplicities, whose totals are one matrix product,
and the same formula gives the resample's value. Summing by subset instead of
by cluster gives the per-subset table from the same statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from roboreward_bench.metrics.catalogue import STATISTICS, Metric, Totals
from roboreward_bench.metrics.types import MetricOptions, ScoringInput


@dataclass(frozen=True, eq=False)
class ClusterStats:
    """``matrix[r, c]``: column c summed over row r's items; ``columns`` names them.

    A column entry is an ``int`` for a one-wide statistic (its totals are
    scalars) and a ``slice`` for a table or a per-subset statistic.
    """

    matrix: np.ndarray
    columns: dict[str, int | slice]

    @property
    def rows(self) -> int:
        return int(self.matrix.shape[0])

    def totals(self, sums: np.ndarray) -> Totals:
        """Name → totals, from column sums of shape (..., width)."""
        return {name: sums[..., where] for name, where in self.columns.items()}

    def point_totals(self) -> Totals:
        """Totals over every row: what the point value of a metric is computed from."""
        return self.totals(self.matrix.sum(axis=0))


def needed_statistics(metrics: Iterable[Metric]) -> list[str]:
    """The statistics the metrics use, each once, in first-use order (plus ``items``, always)."""
    names = ["items"]
    for metric in metrics:
        names += [s for s in metric.statistics if s not in names]
    return names


def item_statistics(inputs: ScoringInput, options: MetricOptions, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Each named statistic's per-item values (``inputs`` must have been through ``prepare``)."""
    return {name: np.asarray(STATISTICS.get(name).compute(inputs, options)) for name in names}


def cluster_statistics(per_item: dict[str, np.ndarray], row: np.ndarray, n_rows: int,
                       subset: np.ndarray, n_subsets: int) -> ClusterStats:
    """Sum per-item statistics into ``n_rows`` rows (``row`` is each item's row).

    ``subset`` holds each item's subset index, for per-subset statistics.
    """
    blocks, columns, start = [], {}, 0
    for name, values in per_item.items():
        statistic = STATISTICS.get(name)
        if statistic.cells:
            width = statistic.cells
            block = np.bincount(row * width + values, minlength=n_rows * width)
        elif statistic.per_subset:
            width = n_subsets
            block = np.bincount(row * width + subset, weights=values, minlength=n_rows * width)
        else:
            width = 1
            block = np.bincount(row, weights=values, minlength=n_rows)
        blocks.append(block.reshape(n_rows, width).astype(float))
        columns[name] = start if width == 1 and not (statistic.cells or statistic.per_subset) \
            else slice(start, start + width)
        start += width
    matrix = np.hstack(blocks) if blocks else np.zeros((n_rows, 0))
    return ClusterStats(matrix, columns)


def values_from_totals(metrics: Sequence[Metric], totals: Totals) -> dict[str, np.ndarray]:
    """Each CI metric's values from totals (point: scalars; resamples: arrays)."""
    return {m.name: m.from_totals(totals) for m in metrics}
