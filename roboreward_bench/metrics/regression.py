"""MAE and RMSE under the penalty rule, micro and macro over subsets.

An invalid or errored answer is never dropped: its absolute error is
``invalid_abs_error`` (4.0, the largest possible error on a 1..5 scale) and
its squared error that value squared (16.0). Predictions are scored
unclamped, as HELM does.
"""

from __future__ import annotations

import numpy as np

from roboreward_bench.metrics._inputs import usable
from roboreward_bench.metrics.catalogue import ratio, register_metric, register_statistic


def abs_errors(y_true, y_pred, valid, invalid_abs_error: float = 4.0) -> np.ndarray:
    """Per-item |ŷ − y|, with ``invalid_abs_error`` where the answer is not valid."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    ok = usable(y_pred, valid)
    with np.errstate(invalid="ignore"):
        return np.where(ok, np.abs(y_pred - y_true), float(invalid_abs_error))


@register_statistic("abs", per_subset=True)
def _abs(d, o) -> np.ndarray:
    """Absolute error (penalty for invalid answers), per subset."""
    return abs_errors(d.y_true, d.y_pred, d.valid, o.invalid_abs_error)


@register_statistic("sq", per_subset=True)
def _sq(d, o) -> np.ndarray:
    """Squared error (penalty² for invalid answers), per subset."""
    return abs_errors(d.y_true, d.y_pred, d.valid, o.invalid_abs_error) ** 2


def _mean_over_present(per_subset: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Mean over the subsets with items (a resample may miss a small subset)."""
    present = items > 0
    return ratio(np.where(present, per_subset, 0.0).sum(axis=-1), present.sum(axis=-1))


@register_metric("mae_micro", label="MAE (micro)", group="regression", higher_is_better=False,
                 range=(0, None), statistics=("items", "abs"), subset_column="mae")
def mae_micro(t):
    """Mean absolute error over all items."""
    return ratio(t["abs"].sum(axis=-1), t["items"].sum(axis=-1))


@register_metric("mae_macro", label="MAE (macro)", group="regression", higher_is_better=False,
                 range=(0, None), statistics=("items", "abs"), summary=True)
def mae_macro(t):
    """MAE of each subset, then the unweighted mean over subsets (RoboRewardBench's headline)."""
    return _mean_over_present(ratio(t["abs"], t["items"]), t["items"])


@register_metric("rmse_micro", label="RMSE (micro)", group="regression", higher_is_better=False,
                 range=(0, None), statistics=("items", "sq"), subset_column="rmse")
def rmse_micro(t):
    """Root mean squared error over all items."""
    return np.sqrt(ratio(t["sq"].sum(axis=-1), t["items"].sum(axis=-1)))


@register_metric("rmse_macro", label="RMSE (macro)", group="regression", higher_is_better=False,
                 range=(0, None), statistics=("items", "sq"))
def rmse_macro(t):
    """RMSE of each subset, then the unweighted mean over subsets."""
    return _mean_over_present(np.sqrt(ratio(t["sq"], t["items"])), t["items"])
