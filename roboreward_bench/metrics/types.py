"""Typed inputs and outputs of the metric suite.

:class:`ScoringInput` is the only thing metrics see: parallel arrays, one entry
per item. An invalid answer and an errored item both have ``valid == False``
and ``y_pred == nan``; the penalty rule scores them with the maximum error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class ScoringInput:
    """Parallel per-item arrays.

    - ``y_true``: int gold labels 1..5.
    - ``y_pred``: float parsed predictions, unclamped; nan where not valid.
    - ``valid``: False for invalid answers and errored items.
    - ``errored``: True where the model produced no answer at all.
    - ``subset``: macro-averaging key per item (str).
    - ``episode_id``: items showing the same video share it (pairwise pairs).
    - ``cluster``: the bootstrap's resampling unit (the task's ``bootstrap.cluster``
      column); None means ``episode_id``.
    - ``group_id``: best-of-N group (same task and initial state), or None.
    - ``clip_end``: last frame shown (-1 for "whole video"), for VOC.
    - ``kind``: "full", "clip" or "counterfactual".
    - ``score_probs``: (n, 5) P(answer = 1..5), rows of nan where absent, or None.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    valid: np.ndarray
    errored: np.ndarray
    subset: np.ndarray
    episode_id: np.ndarray
    group_id: np.ndarray | None = None
    clip_end: np.ndarray | None = None
    kind: np.ndarray | None = None
    score_probs: np.ndarray | None = None
    cluster: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.y_true.shape[0])


@dataclass(frozen=True)
class MetricOptions:
    """Which metric groups to compute and how (from the task spec); ``groups=None`` means the built-in groups."""

    groups: tuple[str, ...] | None = None
    invalid_abs_error: float = 4.0
    success_threshold: float = 5.0
    resamples: int = 1000
    seed: int = 0
    cluster_key: str = "episode_id"
    protocol: str = "pointwise"


@dataclass(frozen=True)
class MetricValue:
    """A metric's value with its 95% cluster-bootstrap CI (None where undefined or without a CI)."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class MetricReport:
    """Everything the suite computed.

    ``overall`` maps metric name → value with CI; ``per_subset`` maps subset →
    metric name → value (no CIs); ``counts`` holds items, invalid, errors,
    episodes and subsets; ``notes`` holds side facts such as how many items
    rank correlations excluded.
    """

    overall: dict[str, MetricValue]
    per_subset: dict[str, dict[str, float | None]]
    counts: dict[str, int]
    notes: dict[str, Any] = field(default_factory=dict)
