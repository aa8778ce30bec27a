"""MAE and RMSE under the penalty rule, micro and macro over subsets.

An invalid or errored answer is never dropped: its absolute error is
``invalid_abs_error`` (4.0, the largest possible error on a 1..5 scale) and
its squared error that value squared (16.0). Predictions are scored
unclamped, as HELM does.
"""

from __future__ import annotations

import numpy as np

from roboreward_bench.metrics._inputs import encode, usable


def abs_errors(y_true, y_pred, valid, invalid_abs_error: float = 4.0) -> np.ndarray:
    """Per-item |ŷ − y|, with ``invalid_abs_error`` where the answer is not valid."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return np.where(ok, np.abs(y_pred - y_true), float(invalid_abs_error))


def squared_errors(y_true, y_pred, valid, invalid_abs_error: float = 4.0) -> np.ndarray:
    """Per-item (ŷ − y)², with ``invalid_abs_error``² where the answer is not valid."""
    return abs_errors(y_true, y_pred, valid, invalid_abs_error) ** 2


def mae(y_true, y_pred, valid, invalid_abs_error: float = 4.0) -> float | None:
    """Mean absolute error over all items (micro); None for no items."""
    errors = abs_errors(y_true, y_pred, valid, invalid_abs_error)
    return float(errors.mean()) if errors.size else None


def rmse(y_true, y_pred, valid, invalid_abs_error: float = 4.0) -> float | None:
    """Root mean squared error over all items (micro); None for no items."""
    errors = squared_errors(y_true, y_pred, valid, invalid_abs_error)
    return float(np.sqrt(errors.mean())) if errors.size else None


def per_subset_means(values: np.ndarray, subset) -> dict[str, float]:
    """Mean of ``values`` within each subset, keyed by the subset name (as str)."""
    names, codes = encode(subset)
    sums = np.bincount(codes, weights=values, minlength=len(names))
    counts = np.bincount(codes, minlength=len(names))
    return {str(name): float(s / c) for name, s, c in zip(names, sums, counts)}


def mae_macro(y_true, y_pred, valid, subset, invalid_abs_error: float = 4.0) -> float | None:
    """MAE of each subset, then the unweighted mean over subsets (RoboRewardBench's headline)."""
    errors = abs_errors(y_true, y_pred, valid, invalid_abs_error)
    if not errors.size:
        return None
    return float(np.mean(list(per_subset_means(errors, subset).values())))


def rmse_macro(y_true, y_pred, valid, subset, invalid_abs_error: float = 4.0) -> float | None:
    """RMSE of each subset, then the unweighted mean over subsets."""
    errors = squared_errors(y_true, y_pred, valid, invalid_abs_error)
    if not errors.size:
        return None
    return float(np.mean(np.sqrt(list(per_subset_means(errors, subset).values()))))
