"""``rrbench validate``: check submission folders and re-score every prediction.

The validator reads bytes (see :mod:`.safety`), never imports, executes or
unpickles anything from a submission, and recomputes every metric from
``predictions.jsonl`` against the task's own labels. A submission made for
another version of its task is *stale*: reported as such, never re-scored
against the current labels, never mixed into the current table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.scoring import metric_options, scoring_input
from roboreward_bench.leaderboard import checks
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.safety import (PREDICTIONS_FILE, RESULTS_FILE, SUBMISSION_FILE, check_location,
                                                 decode_text, load_yaml, read_folder)
from roboreward_bench.leaderboard.schema import ReportedSubmission, Submission, VerifiedSubmission, parse_submission
from roboreward_bench.metrics.types import MetricReport, ScoringInput
from roboreward_bench.results.tables import HEADLINE_METRICS

# What a reported row may state: the suite's overall metric names.
KNOWN_METRICS = tuple(dict.fromkeys([name for name, _ in HEADLINE_METRICS] + [
    "rmse_micro", "success_precision", "success_recall", "success_balanced_acc"]))


@dataclass(frozen=True, eq=False)
class CheckedSubmission:
    """The outcome for one folder: metadata, problems, and (if verified and sound) the re-scored metrics."""

    folder: Path
    meta: Submission | None
    problems: tuple[str, ...]
    stale: bool = False
    report: MetricReport | None = None
    inputs: ScoringInput | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def task(self) -> str:
        return self.folder.parent.name

    @property
    def slug(self) -> str:
        return self.folder.name


def find_submissions(root: Path) -> list[Path]:
    """Every ``root/<task>/<folder>`` (symlinks included, so they get reported)."""
    if not root.is_dir():
        raise RRBenchError(f"{root}: no submissions folder")
    found = []
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir() or p.is_symlink()):
        found.extend(sorted(p for p in task_dir.iterdir() if p.is_dir() or p.is_symlink()) if task_dir.is_dir() else [])
    return found


def expand_paths(paths: list[Path], root: Path) -> list[Path]:
    """Submission folders named by ``paths``: a submission, a task folder, or the root itself."""
    if not paths:
        return find_submissions(root)
    folders: list[Path] = []
    for path in paths:
        if path.absolute() == root.absolute():
            folders.extend(find_submissions(root))
        elif path.is_dir() and not path.is_symlink() and path.absolute().parent == root.absolute():
            folders.extend(sorted(p for p in path.iterdir() if p.is_dir() or p.is_symlink()))
        elif path.exists() or path.is_symlink():
            folders.append(path)
        else:
            raise RRBenchError(f"{path}: no such submission folder")
    return folders


def validate_submission(folder: Path, root: Path, catalog: TaskCatalog) -> CheckedSubmission:
    """Run every check on one folder; stops early only where later checks would be meaningless."""
    problems = check_location(folder, root)
    if problems:
        return CheckedSubmission(folder, None, tuple(problems))
    contents = read_folder(folder)
    problems = list(contents.problems)
    meta = _metadata(folder, contents.files, problems)
    if meta is None:
        return CheckedSubmission(folder, None, tuple(problems))
    if meta.task != folder.parent.name:
        problems.append(f"{folder / SUBMISSION_FILE}: task {meta.task!r} does not match its folder "
                        f"{folder.parent.name!r}")
    if isinstance(meta, ReportedSubmission):
        problems.extend(_reported_problems(folder, meta, contents.files, catalog))
        stale = any(p.startswith(f"{folder / SUBMISSION_FILE}: stale") for p in problems)
        return CheckedSubmission(folder, meta, tuple(problems), stale=stale)
    return _verified(folder, meta, contents.files, catalog, problems)


def _metadata(folder: Path, files: dict[str, bytes], problems: list[str]) -> Submission | None:
    where = folder / SUBMISSION_FILE
    if SUBMISSION_FILE not in files:
        if not any(str(where) in p for p in problems):
            problems.append(f"{where}: missing; every submission needs one")
        return None
    text, problem = decode_text(files[SUBMISSION_FILE], where)
    raw, problem = (None, problem) if problem else load_yaml(text, where)
    if problem:
        problems.append(problem)
        return None
    meta, found = parse_submission(raw, str(where))
    problems.extend(found)
    return meta


def _stale(where: Path, made_for: str, current: str, advice: str = "re-run and resubmit") -> str:
    return f"{where}: stale: made for task {made_for}, but the task is now {current}; {advice}"


def _reported_problems(folder: Path, meta: ReportedSubmission, files: dict[str, bytes],
                       catalog: TaskCatalog) -> list[str]:
    where = folder / SUBMISSION_FILE
    problems = [f"{folder / name}: a reported submission carries no {name} (its numbers come from its citation)"
                for name in (PREDICTIONS_FILE, RESULTS_FILE) if name in files]
    try:
        spec = catalog.spec(meta.task)
    except RRBenchError as exc:
        return problems + [f"{where}: {exc}"]
    if spec.require_verified:
        problems.append(f"{where}: task {spec.name!r} accepts only verified submissions")
    if meta.task_version is not None and meta.task_version != spec.version:
        problems.append(_stale(where, f"version {meta.task_version}", f"version {spec.version}",
                               "check the source's numbers against the current task and update task_version"))
    if spec.headline not in meta.metrics:
        problems.append(f"{where}: metrics must include the task's headline metric {spec.headline!r}")
    tables = [("metrics", meta.metrics)] + [(f"per_subset.{s}", v) for s, v in meta.per_subset.items()]
    for label, values in tables:
        for name, value in values.items():
            problem = _reported_value_problem(name, value)
            if problem:
                problems.append(f"{where}: {label}.{name}: {problem}")
    return problems


def _reported_value_problem(name: str, value: float) -> str | None:
    if name not in KNOWN_METRICS and name not in ("mae", "rmse"):
        return f"unknown metric; known: {', '.join(KNOWN_METRICS)}"
    if not math.isfinite(value):
        return "must be a finite number"
    if name.startswith(("mae", "rmse")):
        return None if value >= 0 else "must be ≥ 0"
    if name in ("qwk", "spearman", "kendall_tau_b", "voc"):
        return None if -1 <= value <= 1 else "must be between -1 and 1"
    return None if 0 <= value <= 1 else "must be between 0 and 1"


def _verified(folder: Path, meta: VerifiedSubmission, files: dict[str, bytes], catalog: TaskCatalog,
              problems: list[str]) -> CheckedSubmission:
    where = folder / SUBMISSION_FILE
    try:
        task = catalog.load(meta.task)
    except RRBenchError as exc:
        return CheckedSubmission(folder, meta, tuple(problems + [f"{where}: {exc}"]))
    if (meta.task_version, meta.task_fingerprint) != (task.spec.version, task.fingerprint):
        problems.append(_stale(where, f"version {meta.task_version} (fingerprint {meta.task_fingerprint[:12]})",
                               f"version {task.spec.version} (fingerprint {task.fingerprint[:12]})"))
        return CheckedSubmission(folder, meta, tuple(problems), stale=True)
    problems.extend(checks.settings_problems(meta, task.spec, str(where)))
    predictions = folder / PREDICTIONS_FILE
    if PREDICTIONS_FILE not in files:
        if not any(str(predictions) in p for p in problems):
            problems.append(f"{predictions}: missing; a verified submission needs its predictions")
        return CheckedSubmission(folder, meta, tuple(problems))
    text, problem = decode_text(files[PREDICTIONS_FILE], predictions)
    if problem:
        return CheckedSubmission(folder, meta, tuple(problems + [problem]))
    records, found = checks.read_records(text, str(predictions))
    if found:  # unreadable lines would also show up as missing items: report only the cause
        return CheckedSubmission(folder, meta, tuple(problems + found))
    problems.extend(checks.coverage_problems(task, records, str(predictions)))
    problems.extend(checks.domain_problems(task.spec, records, str(predictions)))
    if problems:
        return CheckedSubmission(folder, meta, tuple(problems))
    from roboreward_bench.metrics.suite import score

    inputs = scoring_input(task.spec, task.items, records, reparse=True)
    report = score(inputs, metric_options(task.spec))
    if RESULTS_FILE in files:
        text, problem = decode_text(files[RESULTS_FILE], folder / RESULTS_FILE)
        problems.extend([problem] if problem else checks.results_problems(text, meta, report,
                                                                         str(folder / RESULTS_FILE)))
    return CheckedSubmission(folder, meta, tuple(problems), report=report, inputs=inputs)


def validate_all(paths: list[Path], root: Path, catalog: TaskCatalog) -> list[CheckedSubmission]:
    """Validate every folder named by ``paths`` (all of ``root`` when empty)."""
    return [validate_submission(folder, root, catalog) for folder in expand_paths(paths, root)]
