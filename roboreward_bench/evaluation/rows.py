"""One scored row per item: where a model's record meets the item's gold label.

Every consumer scores the same rows, built here: ``rrbench eval`` and
``rrbench score`` (:mod:`.scoring`), the leaderboard validator, and the metric
arrays (:func:`scoring_input`). Whether an answer is valid, and why not, is
decided by :func:`read_answer`, which the runner also uses to write each
record, so a text is parsed once per scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from roboreward_bench.answers import judge_answer
from roboreward_bench.data.items import MISSING_VALUE, Item, column_value
from roboreward_bench.errors import PredictionsError
from roboreward_bench.metrics.types import ScoringInput
from roboreward_bench.parsing import ParsedScore, get_parser
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.rubric import LABELS
from roboreward_bench.tasks.spec import TaskSpec

ERRORED = "error"  # the invalid reason of an item with no answer at all


@dataclass(frozen=True)
class Answer:
    """What a response says: a score, or None with the reason it is invalid."""

    parsed: float | None
    invalid_reason: str | None


def read_answer(raw_text: str, error: str | None, parse: Callable[[str], ParsedScore],
                finish_reason: str | None = None, refusal: str | None = None) -> Answer:
    """The task parser's reading of a response; an errored item has no answer.

    Why an answer is invalid (empty, refused, truncated, no_number) is
    :func:`roboreward_bench.answers.judge_answer`'s one rule.
    """
    if error is not None:
        return Answer(None, ERRORED)
    judged = judge_answer(raw_text, parse, finish_reason, refusal)
    return Answer(judged.value, judged.reason)


@dataclass(frozen=True)
class ScoredRow:
    """One item, scored: gold, what the model said, its reading, and the keys metrics group by."""

    item_id: str
    gold: int
    raw_text: str
    parsed: float | None
    invalid_reason: str | None
    error: str | None
    subset: str
    cluster: str
    episode_id: str
    group_id: str | None
    clip_end: int | None
    kind: str
    score_probs: tuple[float, ...] | None

    @property
    def valid(self) -> bool:
        return self.invalid_reason is None


def stored_answer(record: PredictionRecord) -> Answer:
    """The reading a record carries (trusted: written by the runner, or checked by the validator)."""
    if record.error is not None:
        return Answer(None, ERRORED)
    if record.valid and record.parsed is not None:
        return Answer(record.parsed, None)
    return Answer(None, record.invalid_reason or "invalid")


def cluster_key(spec: TaskSpec) -> str:
    """The item column the task's bootstrap resamples as one unit."""
    return getattr(spec.bootstrap, "cluster", "episode_id")


def cluster_of(spec: TaskSpec, item: Item) -> str:
    """The item's bootstrap cluster; an item without the spec's cluster column is a one-line error naming it
    (lumping such items into one "unknown" cluster would silently narrow every CI)."""
    key = cluster_key(spec)
    value = column_value(item, key)
    if value == MISSING_VALUE or value == "":
        raise PredictionsError(f"{spec.name}: item {item.item_id!r} has no bootstrap cluster column {key!r}")
    return value


def scored_rows(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord],
                reparse: bool = True) -> list[ScoredRow]:
    """One row per item, in item order; ``records`` must cover the items (see ``coverage_problems``).

    With ``reparse`` each raw text is read again by the task's parser (a
    number typed into a file never reaches a table); otherwise the stored
    reading is used.
    """
    parse = get_parser(spec.parser)
    by_id = {record.item_id: record for record in records}
    rows = []
    for item in items:
        record = by_id[item.item_id]
        answer = (read_answer(record.raw_text, record.error, parse, record.finish_reason, record.refusal)
                  if reparse else stored_answer(record))
        rows.append(ScoredRow(
            item_id=item.item_id, gold=item.label, raw_text=record.raw_text, parsed=answer.parsed,
            invalid_reason=answer.invalid_reason, error=record.error, subset=column_value(item, spec.subset_key),
            cluster=cluster_of(spec, item), episode_id=item.episode_id, group_id=item.group_id,
            clip_end=item.clip_end, kind=item.kind, score_probs=record.score_probs))
    return rows


def invalid_by_reason(rows: Sequence[ScoredRow]) -> dict[str, int]:
    """How many items were scored by the penalty rule, per reason."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.invalid_reason is not None:
            counts[row.invalid_reason] = counts.get(row.invalid_reason, 0) + 1
    return dict(sorted(counts.items()))


def scoring_input(rows: Sequence[ScoredRow]) -> ScoringInput:
    """The metric arrays of the rows (the only thing metrics see)."""
    probs = None
    if any(row.score_probs is not None for row in rows):
        probs = np.array([row.score_probs if row.score_probs is not None else [np.nan] * len(LABELS) for row in rows],
                         dtype=float)
    has_groups = any(row.group_id is not None for row in rows)
    return ScoringInput(
        y_true=np.array([row.gold for row in rows], dtype=int),
        y_pred=np.array([np.nan if row.parsed is None else row.parsed for row in rows], dtype=float),
        valid=np.array([row.valid for row in rows], dtype=bool),
        errored=np.array([row.error is not None for row in rows], dtype=bool),
        subset=np.array([row.subset for row in rows], dtype=object),
        episode_id=np.array([row.episode_id for row in rows], dtype=object),
        group_id=np.array([row.group_id for row in rows], dtype=object) if has_groups else None,
        clip_end=np.array([-1 if row.clip_end is None else row.clip_end for row in rows], dtype=int),
        kind=np.array([row.kind for row in rows], dtype=object),
        score_probs=probs,
        cluster=np.array([row.cluster for row in rows], dtype=object),
    )
