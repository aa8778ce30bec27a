"""Predictions + a task's own labels → metrics.

The eval run, ``rrbench score`` and the leaderboard validator all score the
same :class:`~roboreward_bench.evaluation.rows.ScoredRow` list through
:func:`score_rows`; :func:`score_records` adds the coverage check the CLI
needs (the validator lists coverage problems itself).
"""

from __future__ import annotations

from typing import Any, Sequence

from roboreward_bench import __version__
from roboreward_bench.answers import answer_reasons
from roboreward_bench.data.loading import LoadedTask
from roboreward_bench.evaluation.rows import ScoredRow, cluster_key, invalid_by_reason, scored_rows, scoring_input
from roboreward_bench.metrics.catalogue import metric
from roboreward_bench.metrics.types import MetricOptions, MetricReport
from roboreward_bench.plugins import POINTWISE
from roboreward_bench.results.predictions import PredictionRecord, coverage_problems, raise_problems
from roboreward_bench.results.schema import Counts, ModelInfo, RunResults, TaskInfo, metrics_dict
from roboreward_bench.tasks.spec import TaskSpec


def metric_options(spec: TaskSpec) -> MetricOptions:
    """The metric settings a task spec asks for."""
    return MetricOptions(groups=tuple(spec.metrics), invalid_abs_error=spec.invalid_rule.abs_error,
                         success_threshold=spec.success_threshold, resamples=spec.bootstrap.resamples,
                         seed=spec.bootstrap.seed, cluster_key=cluster_key(spec),
                         # the task's "discrete" protocol is the catalogue's pointwise one (a 1–5 score per item)
                         protocol=POINTWISE if spec.protocol == "discrete" else spec.protocol)


def score_rows(spec: TaskSpec, rows: Sequence[ScoredRow]) -> MetricReport:
    """Every metric of the task from its scored rows, with invalid answers counted by reason."""
    from roboreward_bench.metrics.suite import score

    report = score(scoring_input(rows), metric_options(spec))
    report.notes["invalid_by_reason"] = invalid_by_reason(rows)
    return report


def score_records(task: LoadedTask, records: Sequence[PredictionRecord], source: str = "predictions",
                  reparse: bool = True) -> MetricReport:
    """Check coverage (raising on the first problem), then compute every metric of the task.

    Progress and preference tasks are scored by their own protocol's rules
    (:mod:`.protocol_scoring`); the discrete protocol by the metric catalogue.
    """
    raise_problems(coverage_problems([item.item_id for item in task.items], records, source, task.spec.name))
    if task.spec.protocol != "discrete":
        from roboreward_bench.evaluation import protocol_scoring

        score = protocol_scoring.SCORERS[task.spec.protocol]
        return score(task.spec, task.items, records)
    return score_rows(task.spec, scored_rows(task.spec, task.items, records, reparse))


def run_results(task: LoadedTask, report: MetricReport, model: ModelInfo, frames: dict[str, Any], seed: int,
                started_at: str, finished_at: str, deviations: Sequence[str] = (),
                notes: dict[str, Any] | None = None, git_commit: str | None = None) -> RunResults:
    """The results.json of a scored run: what ran, on which task version, and every metric."""
    return RunResults(
        task=TaskInfo(task.spec.name, task.spec.version, task.fingerprint, task.data_revision, task.spec.canonical()),
        model=model, frames=frames, prompt_version=task.spec.prompt, seed=seed,
        counts=Counts(**{k: report.counts.get(k, 0) for k in ("items", "invalid", "errors", "episodes", "subsets")},
                      invalid_reasons=answer_reasons(report.notes.get("invalid_by_reason", {}))),
        metrics=metrics_dict(report), per_subset=report.per_subset, headline=task.spec.headline,
        headline_direction=metric(task.spec.headline).direction,
        non_standard=bool(deviations), deviations=list(deviations), notes={**report.notes, **(notes or {})},
        tool_version=__version__, git_commit=git_commit, started_at=started_at, finished_at=finished_at)
