"""``rrbench validate``: check submission folders and re-score every prediction.

The validator reads bytes (see :mod:`.safety`), never imports, executes or
unpickles anything from a submission, and recomputes every metric from
``predictions.jsonl`` against the task's own labels. A submission made for
another version of its task is *stale*: reported as such, never re-scored
against the current labels, never mixed into the current table.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.rows import scored_rows, scoring_input
from roboreward_bench.evaluation.scoring import score_rows
from roboreward_bench.leaderboard import checks
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.charts import ChartData
from roboreward_bench.leaderboard.duplicates import records_digest, with_duplicates_refused
from roboreward_bench.leaderboard.uncertainty import headline_draws
from roboreward_bench.leaderboard.rescore_cache import RescoreCache, Rescored, cache_key
from roboreward_bench.leaderboard.safety import (PREDICTIONS_FILE, RESULTS_FILE, SUBMISSION_FILE, check_location,
                                                 decode_text, load_yaml, read_folder)
from roboreward_bench.leaderboard.schema import ReportedSubmission, Submission, VerifiedSubmission, parse_submission
from roboreward_bench.metrics.types import MetricReport
from roboreward_bench.results.predictions import coverage_problems, parse_predictions
from roboreward_bench.metrics.catalogue import catalogue
from roboreward_bench.data.loading import LoadedTask


@dataclass(frozen=True, eq=False)
class CheckedSubmission:
    """The outcome for one folder: metadata, problems, and (if verified and sound) the re-scored metrics."""

    folder: Path
    meta: Submission | None
    problems: tuple[str, ...]
    stale: bool = False
    unknown_version: bool = False  # made for a version (or fingerprint) the task never had
    report: MetricReport | None = None
    charts: ChartData | None = field(default=None, repr=False)
    draws: np.ndarray | None = field(default=None, repr=False)  # headline over the bootstrap resamples
    digest: str | None = None  # what the predictions answer (see .duplicates)

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


def validate_submission(folder: Path, root: Path, catalog: TaskCatalog,
                        cache: RescoreCache | None = None) -> CheckedSubmission:
    """Run every check on one folder; stops early only where later checks would be meaningless.

    With a ``cache``, a submission whose exact bytes already passed against the
    same task and the same scoring code is not re-scored again.
    """
    problems = check_location(folder, root)
    if problems:
        return CheckedSubmission(folder, None, tuple(problems))
    contents = read_folder(folder)
    problems = checks.capped(list(contents.problems), str(folder))
    meta = _metadata(folder, contents.files, problems)
    if meta is None:
        return CheckedSubmission(folder, None, tuple(problems))
    if meta.task != folder.parent.name:
        problems.append(f"{folder / SUBMISSION_FILE}: task {meta.task!r} does not match its folder "
                        f"{folder.parent.name!r}")
    if isinstance(meta, ReportedSubmission):
        found, stale = _reported_problems(folder, meta, contents.files, catalog)
        unknown = any(": unknown version:" in p for p in found)
        return CheckedSubmission(folder, meta, tuple(problems + found), stale=stale, unknown_version=unknown)
    return _verified(folder, meta, contents.files, catalog, problems, cache)


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


def _unknown_version(where: Path, task: str, made_for: str, current: str) -> str:
    return (f"{where}: unknown version: task {task!r} has no {made_for}; it is at {current}. "
            "Re-run on the current task and resubmit")


def _reported_problems(folder: Path, meta: ReportedSubmission, files: dict[str, bytes],
                       catalog: TaskCatalog) -> tuple[list[str], bool]:
    """Problems of a reported row, and whether it is stale."""
    where = folder / SUBMISSION_FILE
    problems = [f"{folder / name}: a reported submission carries no {name} (its numbers come from its citation)"
                for name in (PREDICTIONS_FILE, RESULTS_FILE) if name in files]
    try:
        spec = catalog.spec(meta.task)
    except RRBenchError as exc:
        return problems + [f"{where}: {exc}"], False
    if spec.require_verified:
        problems.append(f"{where}: task {spec.name!r} accepts only verified submissions")
    unknown = meta.task_version is not None and meta.task_version > spec.version
    stale = meta.task_version is not None and meta.task_version < spec.version
    if unknown:
        problems.append(_unknown_version(where, spec.name, f"version {meta.task_version}", f"version {spec.version}"))
    if stale:
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
    return problems, stale


def _reported_value_problem(name: str, value: float) -> str | None:
    """What is wrong with a stated metric value: its name must be in the catalogue (or be a
    per-subset column of a catalogue metric) and its value inside the metric's range."""
    ranges = {m.name: m.range for m in catalogue()}
    ranges.update({m.subset_column: m.range for m in catalogue() if m.subset_column})
    if name not in ranges:
        return f"unknown metric; known: {', '.join(ranges)}"
    if not math.isfinite(value):
        return "must be a finite number"
    low, high = ranges[name]
    if high is None:
        return None if low is None or value >= low else f"must be ≥ {low:g}"
    return None if (low is None or value >= low) and value <= high else f"must be between {low:g} and {high:g}"


def _verified(folder: Path, meta: VerifiedSubmission, files: dict[str, bytes], catalog: TaskCatalog,
              problems: list[str], cache: RescoreCache | None) -> CheckedSubmission:
    where = folder / SUBMISSION_FILE
    try:
        task = catalog.load(meta.task)
    except RRBenchError as exc:
        return CheckedSubmission(folder, meta, tuple(problems + [f"{where}: {exc}"]))
    if (meta.task_version, meta.task_fingerprint) != (task.spec.version, task.fingerprint):
        made_for = f"version {meta.task_version} (fingerprint {meta.task_fingerprint[:12]})"
        current = f"version {task.spec.version} (fingerprint {task.fingerprint[:12]})"
        if meta.task_version <= task.spec.version:  # an earlier version, or earlier data of this one
            problems.append(_stale(where, made_for, current))
            return CheckedSubmission(folder, meta, tuple(problems), stale=True)
        # A version after the current one: the task never had it.
        problems.append(_unknown_version(where, task.spec.name, f"version {meta.task_version}", current))
        return CheckedSubmission(folder, meta, tuple(problems), unknown_version=True)
    problems.extend(checks.settings_problems(meta, task.spec, str(where)))
    key = cache_key(task, files) if cache is not None and not problems else None
    hit = cache.get(key) if cache is not None and key is not None else None
    if hit is not None:
        return CheckedSubmission(folder, meta, (), report=hit.report, charts=hit.charts, draws=hit.draws,
                                 digest=hit.digest)
    found, rescored = _rescore(folder, meta, files, task)
    already = [p for p in problems if p.startswith(str(folder / PREDICTIONS_FILE))]
    problems.extend(found if not already or rescored is not None else [])
    if rescored is None:
        return CheckedSubmission(folder, meta, tuple(problems))
    if cache is not None and key is not None and not problems:
        cache.put(key, rescored)
    return CheckedSubmission(folder, meta, tuple(problems), report=rescored.report, charts=rescored.charts,
                             draws=rescored.draws, digest=rescored.digest)


def _rescore(folder: Path, meta: VerifiedSubmission, files: dict[str, bytes],
             task: LoadedTask) -> tuple[list[str], Rescored | None]:
    """Check predictions.jsonl, score it, and compare a submitted results.json with the scores."""
    predictions = folder / PREDICTIONS_FILE
    if PREDICTIONS_FILE not in files:
        return [f"{predictions}: missing; a verified submission needs its predictions"], None
    text, problem = decode_text(files[PREDICTIONS_FILE], predictions)
    if problem:
        return [problem], None
    records, found = parse_predictions(text, str(predictions))
    if found:  # unreadable lines would also show up as missing items: report only the cause
        return checks.capped(found, str(predictions)), None
    problems = coverage_problems([item.item_id for item in task.items], records, str(predictions), task.spec.name)
    problems.extend(checks.domain_problems(task.spec, records, str(predictions)))
    if problems:
        return problems, None
    # Every record now equals what the task's parser reads from its raw_text, so there is no need to parse twice.
    rows = scored_rows(task.spec, task.items, records, reparse=False)
    report = score_rows(task.spec, rows)
    if RESULTS_FILE in files:
        text, problem = decode_text(files[RESULTS_FILE], folder / RESULTS_FILE)
        problems.extend([problem] if problem else checks.results_problems(text, meta, report,
                                                                         str(folder / RESULTS_FILE)))
    inputs = scoring_input(rows)
    draws = headline_draws(task.spec, inputs, task.spec.headline)
    return problems, Rescored(report, ChartData.from_inputs(inputs), draws, records_digest(records, task.fingerprint))


_PARALLEL_FROM = 8  # below this many folders, worker start-up costs more than it saves
_worker: tuple[TaskCatalog, RescoreCache | None] | None = None


def _start_worker(catalog: TaskCatalog, cache: RescoreCache | None) -> None:
    from threadpoolctl import threadpool_limits

    global _worker
    _worker = (catalog, cache)
    threadpool_limits(1)  # this process's whole life


def _validate_in_worker(folder: Path, root: Path) -> CheckedSubmission:
    assert _worker is not None
    return validate_submission(folder, root, *_worker)


def validate_all(paths: list[Path], root: Path, catalog: TaskCatalog, cache: RescoreCache | None = None,
                 workers: int | None = None) -> list[CheckedSubmission]:
    """Validate every folder named by ``paths`` (all of ``root`` when empty), in order.

    A verified submission that repeats an earlier one of its task (the same
    answers, or the same model) fails, naming the earlier folder: see
    :mod:`.duplicates`.

    Re-scoring is CPU-bound, so many folders are spread over ``workers``
    processes (default: one per CPU). Tasks are loaded once, before the
    workers start, and shared with them. BLAS runs single-threaded: the
    bootstrap's small matrix products cost three times the CPU when
    OpenBLAS threads spin against each other.
    """
    from threadpoolctl import threadpool_limits

    folders = expand_paths(paths, root)
    workers = min(os.cpu_count() or 1, 8) if workers is None else workers
    if workers <= 1 or len(folders) < _PARALLEL_FROM:
        with threadpool_limits(1):
            return with_duplicates_refused([validate_submission(folder, root, catalog, cache) for folder in folders])
    for name in sorted({folder.parent.name for folder in folders}):
        try:
            catalog.load(name)
        except RRBenchError:
            pass  # each submission of that task reports the error itself
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(catalog, cache)) as pool:
        chunk = max(1, len(folders) // (4 * workers))
        return with_duplicates_refused(list(pool.map(_validate_in_worker, folders, repeat(root), chunksize=chunk)))
