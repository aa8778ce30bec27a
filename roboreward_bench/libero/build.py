"""``rrbench data build rrb-libero``: generate a split through LIBERO workers, resumably.

The build runs in rrbench's environment and starts ``workers`` LIBERO worker
processes in the managed environment (:mod:`roboreward_bench.libero.environment`),
each with a job file of whole tasks. Workers leave one record per finished
episode in ``OUT/.build``, so a build stopped at any point resumes where it
was. Experts play first; a task whose expert succeeds in fewer than
:data:`MIN_EXPERT_SUCCESS` of its init states is left out by name before its
failure policies are played. The expert success per task is printed, and the
records of the kept tasks become ``metadata.jsonl`` and ``SHA256SUMS``.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from roboreward_bench.data.local import METADATA_FILE
from roboreward_bench.libero.items import drop_repeats, items_from_record, own_success
from roboreward_bench.libero.splits import plan_episodes, split_plan

RECORDS_DIR = ".build"
MIN_EXPERT_SUCCESS = 0.9
_KIND_ORDER = {"full": 0, "clip": 1, "counterfactual": 2}


@dataclass
class BuildReport:
    split: str
    out: Path
    planned: int = 0
    reused: int = 0
    ran: int = 0
    items: int = 0
    seconds: float = 0.0
    expert_success: dict[str, tuple[int, int]] = field(default_factory=dict)
    failed_tasks: dict[str, str] = field(default_factory=dict)
    complete: bool = False


def record_path(out: Path, spec: dict) -> Path:
    return out / RECORDS_DIR / f"{spec['episode_id']}.json"


def _is_done(out: Path, spec: dict) -> bool:
    path = record_path(out, spec)
    return path.is_file() and all((out / f).is_file() for f in spec["files"].values())


def shard(specs: list[dict], workers: int) -> list[list[dict]]:
    """Whole tasks per worker (a worker keeps one env per task), balanced by episode count."""
    by_task: dict[str, list[dict]] = {}
    for spec in specs:
        by_task.setdefault(spec["task"], []).append(spec)
    shards: list[list[dict]] = [[] for _ in range(workers)]
    for group in sorted(by_task.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    return [s for s in shards if s]


def run_workers(out: Path, todo: list[dict], workers: int, on_progress: Callable[[int], None]) -> None:
    """Run the LIBERO workers over ``todo`` and report finished episodes as they appear."""
    if not todo:
        return
    from roboreward_bench.errors import RRBenchError
    from roboreward_bench.libero.environment import ensure_env, env_python, worker_environ

    root, gl = ensure_env()
    jobs_dir = out / RECORDS_DIR / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for i, part in enumerate(shard(todo, workers)):
        job = jobs_dir / f"job-{i}.json"
        job.write_text(json.dumps({"out": str(out), "episodes": part}), encoding="utf-8")
        log = open(jobs_dir / f"worker-{i}.log", "w", encoding="utf-8")
        procs.append((subprocess.Popen([str(env_python(root)), "-m", "roboreward_bench.libero.worker", str(job)],
                                       env=worker_environ(gl), stdout=log, stderr=subprocess.STDOUT), log))
    seen = 0
    try:
        while any(p.poll() is None for p, _ in procs):
            time.sleep(2)
            done = sum(1 for s in todo if record_path(out, s).is_file())
            on_progress(done - seen)
            seen = done
    except BaseException:
        for proc, _ in procs:
            proc.terminate()
        raise
    finally:
        for _, log in procs:
            log.close()
    on_progress(sum(1 for s in todo if record_path(out, s).is_file()) - seen)
    bad = [i for i, (p, _) in enumerate(procs) if p.returncode != 0]
    if bad:
        raise RRBenchError(f"LIBERO worker(s) {bad} exited with an error; see {jobs_dir}/worker-N.log")


def failed_tasks(out: Path) -> dict[str, str]:
    found = {}
    for path in sorted((out / RECORDS_DIR).glob("failed-*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        found[raw["task"]] = raw["message"]
    return found


def build_split(split: str, out: Path, workers: int = 2, groups_per_task: int | None = None,
                tasks: tuple[str, ...] | None = None, progress: bool = True, log=print) -> BuildReport:
    """Generate ``split`` into ``out``; tasks that fail or whose expert is unreliable are named, not raised."""
    from tqdm import tqdm

    started = time.perf_counter()
    out = Path(out).resolve()
    (out / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    specs = plan_episodes(split, groups_per_task=groups_per_task, chosen=tasks)
    report = BuildReport(split=split, out=out, planned=len(specs))
    if tasks is None:
        for key, predicates in sorted(unskilled_tasks().items()):
            log(f"skipped task {key}: no scripted skill for the BDDL predicate(s) {', '.join(predicates)}")
    report.failed_tasks = failed_tasks(out)
    todo = [s for s in specs if s["task"] not in report.failed_tasks and not _is_done(out, s)]
    report.reused = len(specs) - len(todo)
    if todo:
        bar = tqdm(total=len(specs), initial=report.reused, unit="ep", desc=f"rrb-libero {split}",
                   disable=not progress)
        try:  # experts first: a task whose expert is unreliable is left out before its failures are played
            run_workers(out, [s for s in todo if s["policy"]["kind"] == "expert"], workers, bar.update)
            experts = expert_success(_load_records(out, [s for s in specs if s["policy"]["kind"] == "expert"]))
            rest = [s for s in todo if s["policy"]["kind"] != "expert" and _reliable(experts, s["task"])]
            bar.update(sum(1 for s in todo if s["policy"]["kind"] != "expert") - len(rest))
            run_workers(out, rest, workers, bar.update)
        finally:
            bar.close()
    report.ran = sum(1 for s in todo if _is_done(out, s))
    report.failed_tasks = failed_tasks(out)
    records = _load_records(out, [s for s in specs if s["task"] not in report.failed_tasks])
    report.expert_success = expert_success(records)
    for key, (ok, n) in sorted(report.expert_success.items()):
        log(f"expert success {key}: {ok}/{n}" + ("" if ok >= MIN_EXPERT_SUCCESS * n else " (left out)"))
    reliable = [s for s in specs if s["task"] not in report.failed_tasks
                and _reliable(report.expert_success, s["task"])]
    experts_done = all(_is_done(out, s) for s in specs
                       if s["policy"]["kind"] == "expert" and s["task"] not in report.failed_tasks)
    report.complete = experts_done and all(_is_done(out, s) for s in reliable)
    if report.complete:
        report.items = assemble(out, split, [r for r in records if _reliable(report.expert_success,
                                                                             r["spec"]["task"])])
    report.seconds = time.perf_counter() - started
    return report


def unskilled_tasks() -> dict[str, list[str]]:
    """Tasks left out because their goal uses a predicate no scripted skill covers, with those predicates."""
    from roboreward_bench.libero.catalog import SKILLED_PREDICATES, tasks

    return {key: sorted({p for p, _ in info.goal if p not in SKILLED_PREDICATES})
            for key, info in tasks().items() if not info.skilled}


def _reliable(success: dict[str, tuple[int, int]], key: str) -> bool:
    ok, n = success.get(key, (0, 0))
    return n > 0 and ok >= MIN_EXPERT_SUCCESS * n


def _load_records(out: Path, specs: list[dict]) -> list[dict[str, Any]]:
    records = []
    for spec in specs:
        path = record_path(out, spec)
        if path.is_file():
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return records


def expert_success(records: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per task: (expert episodes whose own goal holds at the end, expert episodes)."""
    table: dict[str, list[int]] = {}
    for record in records:
        if record["spec"]["policy"]["kind"] == "expert":
            table.setdefault(record["spec"]["task"], []).append(int(own_success(record)))
    return {k: (sum(v), len(v)) for k, v in table.items()}


def assemble(out: Path, split: str, records: list[dict[str, Any]]) -> int:
    """Write ``metadata.jsonl`` and ``SHA256SUMS`` from ``records``; return the item count."""
    from roboreward_bench.data.manifest import write_manifest
    from roboreward_bench.sim.balance import select_balanced

    rows: list[dict[str, Any]] = []
    for record in records:
        rows += items_from_record(record)
    rows = drop_repeats(rows)
    if split in ("test", "dev"):
        rows = select_balanced(rows, target=split_plan(split).target_items)
    rows.sort(key=lambda r: (r["subset"], r["episode_id"], _KIND_ORDER[r["kind"]], r["clip_end"], r["item_id"]))
    with open(out / METADATA_FILE, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, separators=(",", ":")) + "\n")
    videos = sorted({row["file_name"] for row in rows} | {v for row in rows for v in row["views"].values()})
    write_manifest(out, [METADATA_FILE, *videos])
    return len(rows)
