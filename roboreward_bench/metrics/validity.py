"""Item counts and the invalid and error rates every task reports."""

from __future__ import annotations

import numpy as np

from roboreward_bench.metrics.catalogue import ALWAYS_GROUP, ratio, register_metric, register_statistic


@register_statistic("items", per_subset=True)
def _items(d, o) -> np.ndarray:
    """Item count, per subset (the denominator of most metrics)."""
    return np.ones(len(d))


@register_statistic("invalid")
def _invalid(d, o) -> np.ndarray:
    """Items scored by the penalty rule: invalid answers and errors."""
    return (~d.valid).astype(float)


@register_statistic("errored")
def _errored(d, o) -> np.ndarray:
    """Items with no answer at all."""
    return d.errored.astype(float)


@register_metric("invalid_rate", label="invalid rate", group=ALWAYS_GROUP, higher_is_better=False,
                 range=(0, 1), statistics=("items", "invalid"), subset_column="invalid_rate", summary=True)
def invalid_rate(t):
    """Share of items scored by the penalty rule (invalid answers and errors)."""
    return ratio(t["invalid"], t["items"].sum(axis=-1))


@register_metric("error_rate", label="error rate", group=ALWAYS_GROUP, higher_is_better=False,
                 range=(0, 1), statistics=("items", "errored"), subset_column="error_rate")
def error_rate(t):
    """Share of items with no answer at all (request failed, video unreadable)."""
    return ratio(t["errored"], t["items"].sum(axis=-1))
