"""The per-file checks of a verified submission: predictions, settings, results.json.

Each check returns problems as one-line strings naming the file (and line or
item) and what is wrong; none of them raises on bad input.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from roboreward_bench.leaderboard.schema import VerifiedSubmission
from roboreward_bench.metrics.types import MetricReport
from roboreward_bench.parsing import get_parser
from roboreward_bench.results.predictions import PredictionRecord, decode_json
from roboreward_bench.tasks.spec import TaskSpec

MAX_PROBLEMS_PER_FILE = 20
TOLERANCE = 1e-6
_PROB_SUM_SLACK = 1e-3


def capped(problems: list[str], where: str) -> list[str]:
    """At most :data:`MAX_PROBLEMS_PER_FILE` lines, then one line counting the rest."""
    if len(problems) <= MAX_PROBLEMS_PER_FILE:
        return problems
    rest = len(problems) - MAX_PROBLEMS_PER_FILE
    return problems[:MAX_PROBLEMS_PER_FILE] + [f"{where}: … and {rest} more problems like these"]


def domain_problems(spec: TaskSpec, records: Sequence[PredictionRecord], where: str) -> list[str]:
    """Each record must be what the task's parser makes of its raw_text."""
    parser = get_parser(spec.parser)
    problems = []
    for record in records:
        item = f"{where}: item {record.item_id!r}"
        if record.error is not None:
            if record.valid or record.parsed is not None:
                problems.append(f"{item}: has an error but also a valid parsed answer")
            continue
        expected = parser(record.raw_text)
        if record.valid != expected.valid or (expected.valid and record.parsed != expected.value):
            shown = "invalid" if not record.valid else record.parsed
            wanted = "invalid" if not expected.valid else expected.value
            problems.append(f"{item}: parsed is {shown} but the task's parser {spec.parser!r} reads "
                            f"raw_text as {wanted}")
        elif not record.valid and record.parsed is not None:
            problems.append(f"{item}: parsed must be null when valid is false")
        if record.score_probs is not None and sum(record.score_probs) > 1 + _PROB_SUM_SLACK:
            problems.append(f"{item}: score_probs sum to {sum(record.score_probs):.4f}, more than 1")
    return capped(problems, where)


def settings_deviations(meta: VerifiedSubmission, spec: TaskSpec) -> list[str]:
    """Settings of the run that differ from the task's defaults."""
    found = []
    if meta.prompt_version != spec.prompt:
        found.append(f"prompt_version {meta.prompt_version!r} (task default {spec.prompt!r})")
    # What was sent (the sampling spec, or whole files); mode and frames used are reports, not settings.
    frames = meta.frames.model_dump(include={"num_frames", "fps", "max_frames", "whole_video"})
    wanted = {"whole_video": False, **spec.frames.describe()}
    if frames != wanted:
        found.append(f"frames {_compact(frames)} (task default {_compact(wanted)})")
    return found


def settings_problems(meta: VerifiedSubmission, spec: TaskSpec, where: str) -> list[str]:
    """Non-default settings need ``non_standard: true`` and a list of deviations."""
    deviations = settings_deviations(meta, spec)
    problems = []
    if deviations and not meta.non_standard:
        problems.extend(f"{where}: {d} differs from the task's default; set non_standard: true and list it "
                        "under deviations" for d in deviations)
    if meta.non_standard and not meta.deviations:
        problems.append(f"{where}: non_standard: true needs at least one entry under deviations")
    return problems


def _compact(frames: dict[str, Any]) -> str:
    shown = {k: v for k, v in frames.items() if v is not None and not (k == "whole_video" and v is False)}
    return "{" + ", ".join(f"{k}: {v}" for k, v in shown.items()) + "}"


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _show(value: Any) -> str:
    return "null" if value is None else (f"{value:.6g}" if isinstance(value, float) else repr(value))


def results_problems(text: str, meta: VerifiedSubmission, report: MetricReport, where: str) -> list[str]:
    """A submitted results.json must describe this run and agree with the re-scored metrics."""
    raw, problem = decode_json(text, where)
    if problem:
        return [problem]
    if not isinstance(raw, dict) or raw.get("schema_version") != 1:
        return [f"{where}: not an rrbench results file of schema version 1"]
    problems = [f"{where}: {field} is {_show(theirs)} but submission.yaml says {_show(ours)}"
                for field, theirs, ours in _described_facts(raw, meta) if theirs != ours]
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict):
        return problems + [f"{where}: 'metrics' must be a mapping of metric → {{value, ci_low, ci_high}}"]
    for name, given in metrics.items():
        mine = report.overall.get(name)
        if mine is None:
            problems.append(f"{where}: metric {name!r} is not one rrbench computes for this task")
            continue
        if not isinstance(given, dict):
            problems.append(f"{where}: metric {name!r} must be {{value, ci_low, ci_high}}")
            continue
        for part in ("value", "ci_low", "ci_high"):
            label = name if part == "value" else f"{name} {part}"
            if not _same(given.get(part), getattr(mine, part)):
                problems.append(f"{where}: {label} is {_show(given.get(part))} but re-scoring predictions.jsonl "
                                f"gives {_show(getattr(mine, part))}")
    problems.extend(_subset_problems(raw.get("per_subset"), report, where))
    problems.extend(_count_problems(raw.get("counts"), report, where))
    return capped(problems, where)


def _set_frames(frames: Any) -> Any:
    """A results.json ``frames`` without unset entries (None, or whole_video false), as the submission states it."""
    if not isinstance(frames, dict):
        return frames
    return {k: v for k, v in frames.items() if v is not None and not (k == "whole_video" and v is False)}


def _described_facts(raw: dict[str, Any], meta: VerifiedSubmission) -> list[tuple[str, Any, Any]]:
    task = raw.get("task") if isinstance(raw.get("task"), dict) else {}
    model = raw.get("model") if isinstance(raw.get("model"), dict) else {}
    return [
        ("task.name", task.get("name"), meta.task), ("task.version", task.get("version"), meta.task_version),
        ("task.fingerprint", task.get("fingerprint"), meta.task_fingerprint),
        ("model.spec", model.get("spec"), meta.model.spec),
        ("model.fingerprint", model.get("fingerprint"), meta.model.fingerprint),
        ("frames", _set_frames(raw.get("frames")), meta.frames.model_dump(exclude_defaults=True)),
        ("prompt_version", raw.get("prompt_version"), meta.prompt_version), ("seed", raw.get("seed"), meta.seed),
        ("non_standard", raw.get("non_standard"), meta.non_standard),
    ]


def _subset_problems(given: Any, report: MetricReport, where: str) -> list[str]:
    if given is None:
        return []
    if not isinstance(given, dict):
        return [f"{where}: 'per_subset' must be a mapping of subset → metric → value"]
    problems = []
    for subset, values in given.items():
        mine = report.per_subset.get(subset)
        if mine is None or not isinstance(values, dict):
            problems.append(f"{where}: per_subset has subset {subset!r}, which the task's items do not")
            continue
        for name, value in values.items():
            if name not in mine:
                problems.append(f"{where}: per_subset {subset}.{name} is not one rrbench computes")
            elif not _same(value, mine[name]):
                problems.append(f"{where}: per_subset {subset}.{name} is {_show(value)} but re-scoring "
                                f"predictions.jsonl gives {_show(mine[name])}")
    return problems


def _count_problems(given: Any, report: MetricReport, where: str) -> list[str]:
    if not isinstance(given, dict):
        return [] if given is None else [f"{where}: 'counts' must be a mapping"]
    return [f"{where}: counts.{name} is {_show(value)} but predictions.jsonl has {_show(report.counts.get(name))}"
            for name, value in given.items() if name in report.counts and value != report.counts.get(name)]
