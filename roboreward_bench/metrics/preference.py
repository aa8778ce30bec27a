"""Pairwise preference metrics (HELM's preference-ranking protocol, shared/PROTOCOLS.md §3).

Accuracy is HELM's exact match over three classes (A, B, tie): a tie is a
label like the others, and an invalid answer scores 0. With ``swap: true``
every pair is asked twice, in A/B and in B/A order; order consistency is the
share of pairs whose two answers name the same rollout (or both a tie), an
invalid answer in either order counting as inconsistent.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

FLIP = {"A": "B", "B": "A", "tie": "tie"}


def accuracy(matches: np.ndarray) -> float | None:
    """Mean exact match (1 per correct answer, 0 otherwise); None for no items."""
    return float(np.mean(matches)) if len(matches) else None


class OrderConsistency(NamedTuple):
    """Share of swapped pairs answered consistently, the pair count, and the share of A among A/B answers."""

    value: float | None
    pairs: int
    a_share: float | None


def order_consistency(item_ids: Sequence[str], predictions: Sequence[str | None],
                      swap_of: Sequence[str | None]) -> OrderConsistency:
    """Compare each pair's answer with its B/A twin's (``swap_of`` names the original's id)."""
    by_id = dict(zip(item_ids, predictions))
    pairs = consistent = 0
    for prediction, original in zip(predictions, swap_of):
        if original is None or original not in by_id:
            continue
        pairs += 1
        first = by_id[original]
        consistent += int(first is not None and prediction is not None and FLIP[prediction] == first)
    answered = [p for p in predictions if p in ("A", "B")]
    a_share = float(np.mean([p == "A" for p in answered])) if answered else None
    return OrderConsistency(consistent / pairs if pairs else None, pairs, a_share)


def label_counts(values: Sequence[str | None]) -> dict[str, int]:
    """How often each of A, B, tie and invalid (None) occurs."""
    keys = ("A", "B", "tie")
    counts = {key: sum(v == key for v in values) for key in keys}
    counts["invalid"] = sum(v is None for v in values)
    return counts


# -- the catalogue's declarations (scored by evaluation/protocol_scoring.py from these per-item columns) --

def _register() -> None:
    from roboreward_bench.metrics.catalogue import register_metric
    from roboreward_bench.plugins import PROTOCOLS

    PROTOCOLS.add("preference", "preference", "A, B or tie per pair of rollouts (HELM's preference ranking)")

    def declare(name: str, label: str, column: str | None = None):
        return register_metric(name, label=label, group="preference", higher_is_better=True, range=(0, 1),
                               protocol="preference", subset_column=column)

    @declare("preference_accuracy", "accuracy (A / B / tie)", "preference_accuracy")
    def preference_accuracy(cols):
        """HELM's exact match over A, B and tie; an invalid or errored answer scores 0."""
        return accuracy(cols["match"])

    @declare("preference_accuracy_decisive", "accuracy, gold A or B")
    def preference_accuracy_decisive(cols):
        """Exact match over the pairs whose gold answer is A or B."""
        return accuracy(cols["match"][cols["decisive"]])

    @declare("preference_accuracy_ties", "accuracy, gold tie")
    def preference_accuracy_ties(cols):
        """Exact match over the pairs whose gold answer is a tie."""
        return accuracy(cols["match"][~cols["decisive"]])

    @declare("order_consistency", "order consistency (A/B vs B/A)")
    def order_consistency_metric(cols):
        """With swap: share of pairs whose A/B and B/A answers name the same rollout (or both a tie)."""
        return None if cols["consistency"] is None else cols["consistency"].value

    @declare("a_share", "share of A among A/B answers")
    def a_share(cols):
        """With swap: share of A among the A and B answers (0.5 = no position bias)."""
        return None if cols["consistency"] is None else cols["consistency"].a_share


_register()
