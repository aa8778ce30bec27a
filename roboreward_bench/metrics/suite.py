"""Stage 6 entry point: prepared per-item arrays → every metric of a task, with CIs.

Which metrics run is read from the catalogue (:mod:`catalogue`): those of the
task's groups and protocol. CI metrics come from per-cluster totals
(:mod:`clusters`), the rest from the items; the per-subset table is the same
statistics summed by subset.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from roboreward_bench.metrics._inputs import as_float, encode, prepare
from roboreward_bench.metrics.bootstrap import bootstrap_cis, by_cluster
from roboreward_bench.metrics.catalogue import GROUPS, Metric, builtin_groups, metrics_of
from roboreward_bench.metrics.clusters import cluster_statistics, item_statistics, needed_statistics
from roboreward_bench.metrics.types import MetricOptions, MetricReport, MetricValue, ScoringInput


def _missing_inputs(group: str, d: ScoringInput) -> str | None:
    needs = GROUPS.get(group).needs
    if any(getattr(d, field) is None for field in needs):
        return "needs " + " and ".join(needs)
    return None


def _per_subset(d: ScoringInput, per_item: dict[str, np.ndarray],
                metrics: Sequence[Metric]) -> dict[str, dict[str, Any]]:
    """Subset → {"n", and each metric's ``subset_column``}, from the statistics summed by subset."""
    columns = [m for m in metrics if m.ci and m.subset_column]
    names, subset = encode(d.subset)
    stats = cluster_statistics(per_item, subset, len(names), subset, len(names))
    totals = stats.totals(stats.matrix)
    values = {m.subset_column: m.from_totals(totals) for m in columns}
    items = stats.matrix[:, stats.columns["items"]].sum(axis=1)
    return {str(name): {"n": int(items[i]), **{c: as_float(v[i]) for c, v in values.items()}}
            for i, name in enumerate(names)}


def score(inputs: ScoringInput, options: MetricOptions = MetricOptions()) -> MetricReport:
    """Compute the metrics of ``options.groups`` (None: the built-in groups) with 95% cluster-bootstrap CIs.

    ``invalid_rate`` is the share of items scored by the penalty rule (invalid
    answers and errored items); ``error_rate`` the share that errored. A group
    whose inputs are missing (voc without ``clip_end``/``kind``, best_of_n
    without ``group_id``) is skipped and named in ``notes["skipped_groups"]``.
    Undefined values are None, never nan.
    """
    groups = tuple(builtin_groups() if options.groups is None else options.groups)
    for group in groups:
        GROUPS.get(group)  # unknown group: one-line error with did-you-mean
    d = prepare(inputs)
    skipped = {g: reason for g in groups if (reason := _missing_inputs(g, d))}
    active = tuple(g for g in groups if g not in skipped)
    metrics = metrics_of(active, options.protocol)
    with_ci = [m for m in metrics if m.ci]
    per_item = item_statistics(d, options, needed_statistics(with_ci))
    stats = by_cluster(d, per_item)
    point = stats.point_totals()
    values = {m.name: as_float(m.from_totals(point)) if m.ci else m.from_items(d, options) for m in metrics}
    cis = bootstrap_cis(stats, with_ci, options)
    notes: dict[str, Any] = {}
    for group in dict.fromkeys(m.group for m in metrics):
        describe = GROUPS.get(group).notes
        if describe is not None:
            notes.update(describe(d, options, point))
    notes["skipped_groups"] = skipped
    notes["invalid_abs_error"] = options.invalid_abs_error
    notes["bootstrap"] = {"resamples": options.resamples, "seed": options.seed, "unit": options.cluster_key,
                          "interval": "percentile 2.5-97.5", "metrics": sorted(cis)}
    n = len(d)
    counts = {
        "items": n, "invalid": int((~d.valid).sum()), "errors": int(d.errored.sum()),
        "episodes": int(len(encode(d.episode_id)[0])) if n else 0,
        "subsets": int(len(encode(d.subset)[0])) if n else 0,
    }
    overall = {name: MetricValue(value, *cis.get(name, (None, None))) for name, value in values.items()}
    return MetricReport(overall=overall, per_subset=_per_subset(d, per_item, metrics), counts=counts, notes=notes)
