"""Predictions + a task's own labels → metrics.

This is the single place where per-item records meet gold labels. The eval
run, ``rrbench score`` and the leaderboard validator all go through
:func:`score_records`, which re-parses every ``raw_text`` with the task's
parser, so a number typed into a file never reaches a table.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from roboreward_bench import __version__
from roboreward_bench.data.items import Item
from roboreward_bench.errors import PredictionsError
from roboreward_bench.metrics.types import MetricOptions, MetricReport, ScoringInput
from roboreward_bench.parsing import get_parser
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.results.schema import Counts, ModelInfo, RunResults, TaskInfo, metrics_dict
from roboreward_bench.data.loading import LoadedTask
from roboreward_bench.tasks.spec import HEADLINE_DIRECTIONS, TaskSpec


def subset_of(item: Item, key: str) -> str:
    """The macro-averaging subset of an item: an Item field or a metadata column."""
    value: Any = getattr(item, key, None) if key in Item.__dataclass_fields__ else item.metadata.get(key)
    return "unknown" if value is None else str(value)


def check_coverage(items: Sequence[Item], records: Sequence[PredictionRecord], source: str) -> None:
    """Raise one line if ``records`` do not cover ``items`` exactly once."""
    wanted = {item.item_id for item in items}
    seen: set[str] = set()
    duplicates = [r.item_id for r in records if r.item_id in seen or seen.add(r.item_id)]
    if duplicates:
        raise PredictionsError(f"{source}: duplicate item id(s): {_preview(duplicates)}")
    missing = sorted(wanted - seen)
    extra = sorted(seen - wanted)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} item(s) missing ({_preview(missing)})")
        if extra:
            parts.append(f"{len(extra)} id(s) not in the task ({_preview(extra)})")
        raise PredictionsError(f"{source}: " + "; ".join(parts))


def _preview(ids: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", … +{len(ids) - limit}" if len(ids) > limit else "")


def scoring_input(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord],
                  reparse: bool = True) -> ScoringInput:
    """Align records to items (by id) and build the metric arrays."""
    parser = get_parser(spec.parser)
    by_id = {r.item_id: r for r in records}
    ordered = [by_id[item.item_id] for item in items]
    values = []
    for record in ordered:
        if record.error is not None:
            values.append(None)
        elif reparse:
            values.append(parser(record.raw_text).value)
        else:
            values.append(record.parsed if record.valid else None)
    valid = np.array([v is not None for v in values], dtype=bool)
    probs = None
    if any(r.score_probs is not None for r in ordered):
        probs = np.array([r.score_probs if r.score_probs is not None else [np.nan] * 5 for r in ordered], dtype=float)
    has_groups = any(item.group_id is not None for item in items)
    return ScoringInput(
        y_true=np.array([item.label for item in items], dtype=int),
        y_pred=np.array([np.nan if v is None else v for v in values], dtype=float),
        valid=valid,
        errored=np.array([r.error is not None for r in ordered], dtype=bool),
        subset=np.array([subset_of(item, spec.subset_key) for item in items], dtype=object),
        episode_id=np.array([item.episode_id for item in items], dtype=object),
        group_id=np.array([item.group_id for item in items], dtype=object) if has_groups else None,
        clip_end=np.array([-1 if item.clip_end is None else item.clip_end for item in items], dtype=int),
        kind=np.array([item.kind for item in items], dtype=object),
        score_probs=probs,
    )


def metric_options(spec: TaskSpec) -> MetricOptions:
    """The metric settings a task spec asks for."""
    return MetricOptions(groups=tuple(spec.metrics), invalid_abs_error=spec.invalid_rule.abs_error,
                         success_threshold=spec.success_threshold, resamples=spec.bootstrap.resamples,
                         seed=spec.bootstrap.seed)


def score_records(task: LoadedTask, records: Sequence[PredictionRecord], source: str = "predictions",
                  reparse: bool = True) -> MetricReport:
    """Check coverage, then compute every metric of the task from the records."""
    from roboreward_bench.evaluation import protocol_scoring
    from roboreward_bench.metrics.suite import score

    check_coverage(task.items, records, source)
    if task.spec.protocol == "progress":
        return protocol_scoring.score_progress(task.spec, task.items, records)
    if task.spec.protocol == "preference":
        return protocol_scoring.score_preference(task.spec, task.items, records)
    report = score(scoring_input(task.spec, task.items, records, reparse), metric_options(task.spec))
    report.notes["invalid_reasons"] = protocol_scoring.invalid_reasons(task.spec, task.items, records)
    return report


def run_results(task: LoadedTask, report: MetricReport, model: ModelInfo, frames: dict[str, Any], seed: int,
                started_at: str, finished_at: str, deviations: Sequence[str] = (),
                notes: dict[str, Any] | None = None, git_commit: str | None = None) -> RunResults:
    """The results.json of a scored run: what ran, on which task version, and every metric."""
    return RunResults(
        task=TaskInfo(task.spec.name, task.spec.version, task.fingerprint, task.data_revision, task.spec.canonical()),
        model=model, frames=frames, prompt_version=task.spec.prompt, seed=seed,
        counts=Counts(**{k: report.counts.get(k, 0) for k in ("items", "invalid", "errors", "episodes", "subsets")}),
        metrics=metrics_dict(report), per_subset=report.per_subset, headline=task.spec.headline,
        headline_direction=HEADLINE_DIRECTIONS.get(task.spec.headline, "lower"),
        non_standard=bool(deviations), deviations=list(deviations), notes={**report.notes, **(notes or {})},
        tool_version=__version__, git_commit=git_commit, started_at=started_at, finished_at=finished_at)
