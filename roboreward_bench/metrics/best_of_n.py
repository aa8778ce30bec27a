"""Best-of-N selection: would the reward model pick a successful attempt among several?"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from roboreward_bench.rubric import SUCCESS_LABEL
from roboreward_bench.metrics._inputs import as_float, encode, usable
from roboreward_bench.metrics.catalogue import register_group, register_metric

register_group("best_of_n", needs=("group_id",),
               notes=lambda d, o, t: {"best_of_n_groups": best_of_n(d.y_true, d.y_pred, d.valid, d.group_id).groups})


class BestOfN(NamedTuple):
    """Best-of-N selection: the picked item's success rate, with oracle and random-pick rates."""

    value: float | None
    oracle: float | None
    random: float | None
    groups: int


def best_of_n(y_true, y_pred, valid, group_id, success_label: int = SUCCESS_LABEL) -> BestOfN:
    """Success rate of the item a reward model would pick in each group of ≥ 2 attempts.

    Within a group (same task and initial state) the item with the highest ŷ
    is picked, invalid answers ranking below everything; the group scores the
    mean gold success (y == ``success_label``) over the tied top items.
    ``oracle`` is the share of groups with any success, ``random`` the mean
    in-group success rate (a random pick).
    """
    names, group = encode(group_id)
    n_groups = len(names)
    success = (np.asarray(y_true, dtype=float) >= success_label).astype(float)
    score = np.where(usable(y_pred, valid), np.asarray(y_pred, dtype=float), -np.inf)
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, score)
    is_top = (score == top[group]).astype(float)
    sizes = np.bincount(group, minlength=n_groups)
    eligible = sizes >= 2
    if not eligible.any():
        return BestOfN(None, None, None, 0)
    picked = np.bincount(group, weights=is_top * success, minlength=n_groups)[eligible]
    n_top = np.bincount(group, weights=is_top, minlength=n_groups)[eligible]
    successes = np.bincount(group, weights=success, minlength=n_groups)[eligible]
    return BestOfN(
        value=as_float(np.mean(picked / n_top)),
        oracle=as_float(np.mean(successes > 0)),
        random=as_float(np.mean(successes / sizes[eligible])),
        groups=int(eligible.sum()),
    )


@register_metric("best_of_n", label="best-of-N success", group="best_of_n", higher_is_better=True, range=(0, 1))
def _best_of_n(d, o):
    """Gold success rate of the highest-scored attempt per group (same task and initial state)."""
    return best_of_n(d.y_true, d.y_pred, d.valid, d.group_id).value


@register_metric("best_of_n_oracle", label="best-of-N oracle", group="best_of_n", higher_is_better=True,
                 range=(0, 1))
def _best_of_n_oracle(d, o):
    """Share of groups with any successful attempt (the best any picker can do)."""
    return best_of_n(d.y_true, d.y_pred, d.valid, d.group_id).oracle


@register_metric("best_of_n_random", label="best-of-N random", group="best_of_n", higher_is_better=True,
                 range=(0, 1))
def _best_of_n_random(d, o):
    """Mean in-group success rate (what a random pick gets)."""
    return best_of_n(d.y_true, d.y_pred, d.valid, d.group_id).random
