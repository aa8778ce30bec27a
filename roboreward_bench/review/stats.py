"""``rrbench review stats``: how far review got, and how well humans agree with the labels."""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from roboreward_bench.data.items import Item, column_value
from roboreward_bench.rubric import LABELS
from roboreward_bench.data.reviews import STATUSES, ReviewRecord, current_decisions, item_status, stale_count


@dataclass(frozen=True)
class SubsetCounts:
    """Items per review status in one subset."""

    subset: str
    counts: Mapping[str, int]

    @property
    def items(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PairAgreement:
    """Two reviewers on the items both labelled: raw agreement and Cohen's κ (None if undefined)."""

    first: str
    second: str
    common_items: int
    agreement: float
    kappa: float | None


@dataclass(frozen=True)
class ReviewStats:
    """Counts per subset and overall, agreement of human labels with the proposed ones, reviewer pairs.

    ``labelled`` counts current accept/relabel decisions (one per reviewer and
    item); ``agreeing`` those whose human label equals the proposed label.
    """

    subsets: tuple[SubsetCounts, ...]
    total: SubsetCounts
    labelled: int
    agreeing: int
    stale: int
    reviewers: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]

    @property
    def agreement(self) -> float | None:
        return self.agreeing / self.labelled if self.labelled else None


def review_stats(items: Iterable[Item], records: list[ReviewRecord], hashes: Mapping[str, str],
                 subset_key: str = "subset") -> ReviewStats:
    """Summarise ``records`` over ``items`` (decisions on changed content count as pending)."""
    items = tuple(items)
    current = current_decisions(records, hashes)
    per_subset: dict[str, Counter[str]] = {}
    for item in items:
        status = item_status(current.get(item.item_id))
        per_subset.setdefault(column_value(item, subset_key), Counter())[status] += 1
    subsets = tuple(SubsetCounts(name, {s: per_subset[name][s] for s in STATUSES}) for name in sorted(per_subset))
    total = SubsetCounts("all", {s: sum(c.counts[s] for c in subsets) for s in STATUSES})
    labelled = [r for decisions in current.values() for r in decisions.values() if r.human_label is not None]
    reviewers = tuple(sorted({r.reviewer for decisions in current.values() for r in decisions.values()}))
    return ReviewStats(subsets=subsets, total=total, labelled=len(labelled),
                       agreeing=sum(r.human_label == r.proposed_label for r in labelled),
                       stale=stale_count(records, hashes), reviewers=reviewers,
                       pairs=tuple(_pairs(current, reviewers)))


def _pairs(current: Mapping[str, Mapping[str, ReviewRecord]], reviewers: tuple[str, ...]) -> list[PairAgreement]:
    pairs = []
    for first, second in itertools.combinations(reviewers, 2):
        both = [(d[first].human_label, d[second].human_label) for d in current.values()
                if first in d and second in d and d[first].human_label is not None
                and d[second].human_label is not None]
        if not both:
            continue
        from sklearn.metrics import cohen_kappa_score  # only when two reviewers overlap: it is slow to import

        a, b = zip(*both)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # κ is 0/0 when both gave one and the same label throughout
            kappa = float(cohen_kappa_score(a, b, labels=list(LABELS)))
        pairs.append(PairAgreement(first, second, len(both), sum(x == y for x, y in both) / len(both),
                                   None if math.isnan(kappa) else kappa))
    return pairs


def format_stats(stats: ReviewStats, title: str) -> str:
    """The text ``rrbench review stats`` prints."""
    from tabulate import tabulate

    rows = [[c.subset, *(c.counts[s] for s in STATUSES), c.items] for c in (*stats.subsets, stats.total)]
    lines = [f"{title}: {stats.total.counts['verified']} of {stats.total.items} items verified "
             f"by {len(stats.reviewers)} reviewer(s)", "",
             tabulate(rows, headers=["subset", *STATUSES, "items"], tablefmt="github"), ""]
    if stats.agreement is None:
        lines.append("agreement with proposed labels: no accepted or relabelled items yet")
    else:
        lines.append(f"agreement with proposed labels: {100 * stats.agreement:.1f}% "
                     f"({stats.agreeing} of {stats.labelled} human labels)")
    for pair in stats.pairs:
        kappa = "undefined (one label throughout)" if pair.kappa is None else f"{pair.kappa:.3f}"
        lines.append(f"reviewers {pair.first} and {pair.second}: {pair.common_items} common items, "
                     f"{100 * pair.agreement:.1f}% same label, Cohen's κ {kappa}")
    if stats.stale:
        lines.append(f"{stats.stale} decision(s) were made on content that has changed since; "
                     "those items count as pending")
    return "\n".join(lines)
