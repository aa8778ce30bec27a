"""``rrbench data build``: generate a split into a dataset folder, resumably, on N workers.

Each finished episode leaves its MP4 and a record (``.build/<episode>.json``)
at once, so an interrupted build picks up where it stopped. When every
episode is done the records become ``metadata.jsonl`` and ``SHA256SUMS``.
A task that cannot be built or rendered is reported by name and skipped.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roboreward_bench.data.local import METADATA_FILE
from roboreward_bench.sim.balance import choose_shipped, drop_duplicates
from roboreward_bench.sim.items import RECORDS_DIR, EpisodeRecord, items_from_record, record_path
from roboreward_bench.sim.rollout import EpisodeSpec
from roboreward_bench.sim.splits import plan_episodes, split_plan

_KIND_ORDER = {"full": 0, "clip": 1, "counterfactual": 2}


@dataclass
class BuildReport:
    """What a build did: episodes run or reused, items written, tasks skipped and why."""

    split: str
    out: Path
    planned: int = 0
    reused: int = 0
    ran: int = 0
    items: int = 0
    seconds: float = 0.0
    failed_tasks: dict[str, str] = field(default_factory=dict)


def _is_done(out: Path, spec: EpisodeSpec) -> bool:
    path = record_path(out, spec)
    if not path.is_file():
        return False
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return record.get("spec") == spec.to_dict() and (out / record["file_name"]).is_file()


def _groups(specs: list[EpisodeSpec]) -> list[list[EpisodeSpec]]:
    grouped: dict[tuple[str, str], list[EpisodeSpec]] = {}
    for spec in specs:
        grouped.setdefault((spec.task, spec.group), []).append(spec)
    return list(grouped.values())


def build_split(split: str, out: Path, workers: int = 2, groups_per_task: int | None = None,
                tasks: tuple[str, ...] | None = None, progress: bool = True,
                keep_records: bool = False) -> BuildReport:
    """Generate ``split`` into ``out``; returns a report (failed tasks are listed, not raised)."""
    from tqdm import tqdm

    from roboreward_bench.sim.render import choose_gl_backend

    started = time.perf_counter()
    out = Path(out)
    (out / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    choose_gl_backend()  # before any worker imports MuJoCo: they inherit the choice
    specs = plan_episodes(split, groups_per_task=groups_per_task, tasks=tasks)
    report = BuildReport(split=split, out=out, planned=len(specs))
    todo = [s for s in specs if not _is_done(out, s)]
    report.reused = len(specs) - len(todo)
    jobs = [(str(out), [s.to_dict() for s in group]) for group in _groups(todo)]
    bar = tqdm(total=len(todo), unit="ep", desc=f"rrb-sim {split}", disable=not progress)
    try:
        for result in _results(jobs, workers):
            report.ran += result["done"]
            for task, message in result["failed"].items():
                report.failed_tasks.setdefault(task, message)
            bar.update(result["done"] + result["skipped"])
    finally:
        bar.close()
    done_specs = [s for s in specs if s.task not in report.failed_tasks and _is_done(out, s)]
    report.items = assemble(out, split, done_specs)
    if not keep_records and len(done_specs) == len(specs) - sum(
            1 for s in specs if s.task in report.failed_tasks):
        shutil.rmtree(out / RECORDS_DIR, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _results(jobs: list[tuple[str, list[dict[str, Any]]]], workers: int):
    from roboreward_bench.sim.worker import close_worker, run_group

    if workers <= 1:
        try:
            for job in jobs:
                yield run_group(job)
        finally:
            close_worker()
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(run_group, jobs)
        pool.close()
        pool.join()


def assemble(out: Path, split: str, specs: list[EpisodeSpec]) -> int:
    """Write ``metadata.jsonl`` and ``SHA256SUMS`` from the records of ``specs``; return the item count."""
    from roboreward_bench.data.manifest import write_manifest

    rows: list[dict[str, Any]] = []
    for spec in specs:
        record = EpisodeRecord.from_dict(json.loads(record_path(out, spec).read_text(encoding="utf-8")))
        rows += items_from_record(record)
    plan = split_plan(split)
    rows = choose_shipped(rows, target=plan.target_items) if split in ("test", "dev") else drop_duplicates(rows)
    rows.sort(key=lambda r: (r["subset"], r["episode_id"], _KIND_ORDER[r["kind"]], r["clip_end"], r["item_id"]))
    with open(out / METADATA_FILE, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, separators=(",", ":")) + "\n")
    videos = sorted({row["file_name"] for row in rows})
    _remove_unlisted_videos(out, set(videos))
    write_manifest(out, [METADATA_FILE, *videos])
    return len(rows)


def _remove_unlisted_videos(out: Path, keep: set[str]) -> None:
    for path in out.rglob("*.mp4"):
        rel = path.relative_to(out).as_posix()
        if rel not in keep and not rel.startswith(RECORDS_DIR + "/"):
            path.unlink()
