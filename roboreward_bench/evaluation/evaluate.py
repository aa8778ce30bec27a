"""``rrbench eval`` as a function: configure, run (or resume), score, write results."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from roboreward_bench.evaluation import runner
from roboreward_bench.evaluation.preflight import check_videos, make_output_folder, os_problem
from roboreward_bench.evaluation.run_lock import RunLock
from roboreward_bench.evaluation.scoring import run_results, score_records
from roboreward_bench.frames.sampler import FrameSampler
from roboreward_bench.metrics.types import MetricReport
from roboreward_bench.models.lifecycle import model_session
from roboreward_bench.models.registry import backend, build_model
from roboreward_bench.results.predictions import PREDICTIONS_FILE, PredictionsWriter, read_predictions
from roboreward_bench.results.schema import RESULTS_FILE, ModelInfo, RunResults
from roboreward_bench.data.loading import LoadedTask, load_task

DEFAULT_OUTPUT_ROOT = Path("rrbench_runs")


@dataclass(frozen=True)
class EvalConfig:
    """Everything ``rrbench eval`` was asked to do."""

    task: str
    model: str
    model_args: dict[str, Any]
    data_dir: Path | None = None
    limit: int | None = None
    num_frames: int | None = None
    output_dir: Path | None = None
    output_root: Path = DEFAULT_OUTPUT_ROOT
    seed: int = 0
    shard: tuple[int, int] | None = None
    fresh: bool = False
    use_cache: bool = True
    cache_path: Path | None = None
    frame_cache_bytes: int = 1 << 30
    progress: bool = True
    allow_errors: bool = False


@dataclass(frozen=True)
class EvalOutcome:
    """Where the run went, its results, and the items that failed."""

    output_dir: Path
    results: RunResults
    report: MetricReport
    errors: list[tuple[str, str]]
    decodes: int
    items: int


def evaluate(config: EvalConfig) -> EvalOutcome:
    """Run (or resume) one evaluation and write predictions.jsonl and results.json."""
    started = _now()
    task = load_task(config.task, config.data_dir)
    items = runner.select_items(task.items, config.limit, config.shard)
    check_videos(items, config.allow_errors)  # before any model is built
    frames, deviations = runner.effective_frames(task.spec.frames, config.num_frames)
    context = replace(runner.reference_context(config.seed, task.spec), generation=task.spec.generation.describe())
    spec, model = build_model(config.model, config.model_args, context)
    frames, mode_deviations = runner.frames_for_model(frames, model)
    deviations = deviations + mode_deviations + runner.generation_deviations(task.spec.generation, model)
    cache = _cache_stage(spec.backend, model.fingerprint, task, config)
    identity = _identity(task, config, str(spec), model.fingerprint, frames.describe())
    output_dir = config.output_dir or default_output_dir(config.output_root, task.spec.name, config.model, identity)
    make_output_folder(output_dir)
    with RunLock(output_dir):
        return _run_locked(config, task, items, frames, deviations, spec, model, cache, identity, output_dir,
                           started)


def _run_locked(config: EvalConfig, task: LoadedTask, items: list, frames: Any, deviations: list[str], spec: Any,
                model: Any, cache: Any, identity: dict[str, Any], output_dir: Path, started: str) -> EvalOutcome:
    """The run proper, while this process holds the run folder's lock."""
    try:
        runner.check_run_file(output_dir, identity, config.fresh)
        todo = runner.pending(items, output_dir, config.fresh).todo
        sampler = FrameSampler(frames, cache_bytes=config.frame_cache_bytes)
        with model_session(model, output_dir), PredictionsWriter(output_dir / PREDICTIONS_FILE) as writer, \
                _progress(len(items), len(items) - len(todo), config.progress) as bar:
            work = runner.prefetched(runner.prepare(runner.processing_order(todo), sampler, task.spec.prompt,
                                                    task.spec.video_position, cache.lookup if cache else None,
                                                    task.spec.protocol))
            runner.run_model(model, work, task.spec.parser, writer, on_done=bar.update,
                             store=cache.store if cache else None)
    except OSError as exc:
        raise os_problem(exc, output_dir, "writing the run folder") from None
    selected = replace(task, items=tuple(items))
    wanted = {item.item_id for item in items}
    records = [r for r in read_predictions(output_dir / PREDICTIONS_FILE) if r.item_id in wanted]
    report = score_records(selected, records, source=str(output_dir / PREDICTIONS_FILE))
    notes = {**({"shard": f"{config.shard[0]}/{config.shard[1]}"} if config.shard else {}),
             **({"limit": config.limit} if config.limit is not None else {}), **task.notes}
    details = {**model.describe(), **({"cache": cache.describe()} if cache else {})}
    model_info = ModelInfo(config.model, str(spec), model.fingerprint, _public_args(config.model_args), details)
    results = run_results(selected, report, model_info, runner.frames_record(frames, records), config.seed, started,
                          _now(),
                          deviations, notes, _git_commit())
    try:
        results.write(output_dir / RESULTS_FILE)
    except OSError as exc:
        raise os_problem(exc, output_dir / RESULTS_FILE, "writing results.json") from None
    errors = [(r.item_id, r.error) for r in records if r.error is not None]
    return EvalOutcome(output_dir, results, report, errors, sampler.decodes, len(items))


def _cache_stage(backend_name: str, model_fingerprint: str, task: LoadedTask, config: EvalConfig) -> Any:
    """The response-cache stage, if the backend registered with ``cache=True`` and the run allows it."""
    if not config.use_cache or not backend(backend_name).cache:
        return None
    from roboreward_bench.models.cache import CacheStage, ResponseCache

    return CacheStage(ResponseCache(config.cache_path), model_fingerprint, task.fingerprint)


def _identity(task: LoadedTask, config: EvalConfig, resolved: str, model_fp: str,
              frames: dict[str, Any]) -> dict[str, Any]:
    task_ref = str(Path(config.task).resolve()) if Path(config.task).exists() else config.task
    return {"task": task.spec.name, "task_ref": task_ref, "task_fingerprint": task.fingerprint, "model": resolved,
            "model_fingerprint": model_fp, "frames": frames, "seed": config.seed, "limit": config.limit,
            "shard": list(config.shard) if config.shard else None}


def default_output_dir(root: Path, task_name: str, model: str, identity: dict[str, Any]) -> Path:
    """``<root>/<task>/<model>-<hash of the run identity>``: same command, same folder."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[-60:] or "model"
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", task_name) / f"{slug}-{digest}"


def _public_args(args: dict[str, Any]) -> dict[str, Any]:
    """Model args safe to write down: secret-named values and URL credentials are masked."""
    from roboreward_bench.models.redaction import redact_data

    return redact_data(dict(args))


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _progress(total: int, initial: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="items", unit="item", disable=not enabled, mininterval=0.5,
                dynamic_ncols=True)
