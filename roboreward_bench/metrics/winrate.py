"""HELM's mean win rate across subsets."""

from __future__ import annotations

import math
from typing import Mapping


def mean_win_rate(scores_by_model: Mapping[str, Mapping[str, float | None]],
                  higher_is_better: bool = False) -> dict[str, float | None]:
    """Each model's win rate averaged over subsets (HELM's rule).

    Within a subset, a model scores the fraction of the *other* models that
    have a value there and are strictly worse, ties counting ½. By default
    lower is better (MAE); pass ``higher_is_better=True`` for accuracies.
    A model's mean covers only the subsets where it has a value and at least
    one other model does too; None if there is no such subset. Missing, None
    and nan values mean "no value".
    """
    def present(value: float | None) -> bool:
        return value is not None and not math.isnan(value)

    subsets = sorted({s for per_subset in scores_by_model.values() for s in per_subset})
    rates: dict[str, list[float]] = {model: [] for model in scores_by_model}
    for subset in subsets:
        values = {model: per_subset[subset] for model, per_subset in scores_by_model.items()
                  if present(per_subset.get(subset))}
        if len(values) < 2:
            continue
        for model, mine in values.items():
            wins = 0.0
            for other, theirs in values.items():
                if other == model:
                    continue
                if theirs == mine:
                    wins += 0.5
                elif (theirs < mine) if higher_is_better else (theirs > mine):
                    wins += 1.0
            rates[model].append(wins / (len(values) - 1))
    return {model: (sum(r) / len(r) if r else None) for model, r in rates.items()}
