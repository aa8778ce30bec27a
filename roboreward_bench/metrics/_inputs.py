"""Input checks and small array helpers shared by the metric modules."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from roboreward_bench.rubric import LABELS
from roboreward_bench.errors import RRBenchError
from roboreward_bench.metrics.types import ScoringInput


def usable(y_pred: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Items whose prediction can be scored: flagged valid and a finite number.

    A nan prediction flagged valid is treated as invalid, so it is penalised
    rather than silently propagating nan through a metric.
    """
    y_pred = np.asarray(y_pred, dtype=float)
    return np.asarray(valid, dtype=bool) & np.isfinite(y_pred)


def encode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and each item's index into them (object arrays compared as str)."""
    keys = np.asarray(keys)
    if keys.dtype == object:
        keys = keys.astype(str)
    uniques, codes = np.unique(keys, return_inverse=True)
    return uniques, codes.reshape(-1).astype(np.int64)


def as_float(value: float | np.floating | None) -> float | None:
    """A plain float, or None for None / nan / inf (the report never holds nan)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def prepare(inputs: ScoringInput) -> ScoringInput:
    """Check a :class:`ScoringInput` and return it with normalised arrays.

    ``y_pred`` becomes nan wherever an item is invalid. Raises a one-line
    :class:`RRBenchError` on mismatched lengths, gold labels outside 1..5, or
    an item flagged valid that errored or has no finite prediction (validity
    is decided once, when the scored rows are built).
    """
    n = len(inputs.y_true)
    arrays = {"y_pred": inputs.y_pred, "valid": inputs.valid, "errored": inputs.errored,
              "subset": inputs.subset, "episode_id": inputs.episode_id, "group_id": inputs.group_id,
              "clip_end": inputs.clip_end, "kind": inputs.kind, "score_probs": inputs.score_probs,
              "cluster": inputs.cluster}
    for name, array in arrays.items():
        if array is not None and len(array) != n:
            raise RRBenchError(
                f"scoring input: {name} has {len(array)} entries but y_true has {n}")
    y_true = np.asarray(inputs.y_true)
    bad = ~np.isin(y_true, LABELS)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise RRBenchError(f"scoring input: gold label {y_true[first].tolist()!r} of item #{first} is not one of 1..5")
    probs = inputs.score_probs
    if probs is not None:
        probs = np.asarray(probs, dtype=float)
        if probs.ndim != 2 or probs.shape[1] != 5:
            raise RRBenchError(f"scoring input: score_probs must have shape (n, 5), got {probs.shape}")
    errored = np.asarray(inputs.errored, dtype=bool)
    y_pred = np.asarray(inputs.y_pred, dtype=float)
    valid = np.asarray(inputs.valid, dtype=bool)
    contradicts = valid & (errored | ~np.isfinite(y_pred))  # validity is decided with the scored rows, not here
    if contradicts.any():
        first = int(np.flatnonzero(contradicts)[0])
        why = "errored" if errored[first] else f"its prediction {y_pred[first]} is not a finite number"
        raise RRBenchError(f"scoring input: item #{first} is flagged valid but {why}")
    return replace(
        inputs, y_true=y_true.astype(np.int64), y_pred=np.where(valid, y_pred, np.nan), valid=valid,
        errored=errored, subset=np.asarray(inputs.subset), episode_id=np.asarray(inputs.episode_id),
        score_probs=probs, cluster=np.asarray(inputs.episode_id if inputs.cluster is None else inputs.cluster),
    )
