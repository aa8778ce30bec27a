"""Leaderboard build time and page weight: 100 generated submissions of 2,000 items each.

Targets (issues 5 and 15): the whole build (validate and re-score every
submission, rank groups from the paired bootstrap, then render the site) under
10 s; the main page under 1 MB; the per-item Parquet export of every
submission under 10 s. Printed: a cold
build (empty re-scoring cache, one worker per CPU), a warm rebuild (what CI's
build step costs after its validate step), wall and CPU time, and the load
average, since other work on the machine inflates wall time.

The task is generated (2,000 items over 23 subsets, clips sharing episodes);
its videos are never decoded by the leaderboard, so none are written. The
submissions are synthetic models (noisy copies of the labels, some with
score_probs and a few invalid answers), each with a results.json computed by
rrbench, as ``rrbench submit`` would copy it. None of this is a claim about
any real model.

    python benchmarks/leaderboard_build.py [--submissions 100] [--items 2000] [--keep DIR] [--serial]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from roboreward_bench.evaluation.rows import scored_rows, scoring_input
from roboreward_bench.evaluation.scoring import metric_options
from roboreward_bench.leaderboard.board import build_boards
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.export import export_details
from roboreward_bench.leaderboard.rescore_cache import RescoreCache
from roboreward_bench.leaderboard.site import build_site
from roboreward_bench.leaderboard.validate import validate_all
from roboreward_bench.metrics.suite import score
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.results.schema import metrics_dict

SUBSETS = 23
TASK = "bench"


def write_task(base: Path, items: int, rng: np.random.Generator) -> TaskCatalog:
    rows = []
    for i in range(items):
        episode = i // 3
        subset = f"source_{episode % SUBSETS:02d}"
        name = f"{subset}/episode_{episode}.mp4"
        row = {"file_name": name, "task": f"do task {episode}", "reward": int(rng.integers(1, 6))}
        if i % 3:
            row.update(item_id=f"{name}#clip{i % 3}", clip_end=10 * (i % 3), kind="clip")
        rows.append(row)
    data = base / "data"
    data.mkdir(parents=True)
    (data / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    tasks = base / "tasks"
    tasks.mkdir()
    (tasks / f"{TASK}.yaml").write_text(f"name: {TASK}\nsource: {{kind: local, path: ../data}}\n")
    return TaskCatalog(tasks)


def write_submissions(root: Path, catalog: TaskCatalog, count: int, rng: np.random.Generator) -> None:
    task = catalog.load(TASK)
    labels = np.array([item.label for item in task.items])
    for k in range(count):
        noise = rng.normal(0, 0.3 + 2.0 * k / count, size=labels.size)
        answers = np.clip(np.rint(labels + noise), 1, 5).astype(int)
        invalid = rng.random(labels.size) < 0.01 * (k % 4)
        with_probs = k % 3 == 0
        records = []
        for item, answer, bad in zip(task.items, answers, invalid):
            probs = None
            if with_probs:
                weights = np.exp(-np.abs(np.arange(1, 6) - answer))
                probs = tuple(float(w) for w in weights / weights.sum())
            text = "I cannot tell." if bad else f"ANSWER: {answer}"
            records.append(PredictionRecord(item.item_id, text, None if bad else float(answer), not bad,
                                            score_probs=probs))
        folder = root / TASK / f"synthetic__model-{k:03d}"
        folder.mkdir(parents=True)
        (folder / "predictions.jsonl").write_text("".join(r.to_json() + "\n" for r in records))
        report = score(scoring_input(scored_rows(task.spec, task.items, records)), metric_options(task.spec))
        (folder / "results.json").write_text(json.dumps({
            "schema_version": 1, "task": {"name": TASK, "version": 1, "fingerprint": task.fingerprint},
            "model": {"spec": f"hf:synthetic/model-{k:03d}", "fingerprint": f"{k:064x}"},
            "frames": task.spec.frames.describe(), "prompt_version": task.spec.prompt, "seed": 0,
            "non_standard": False, "metrics": metrics_dict(report), "per_subset": report.per_subset,
            "counts": report.counts}))
        meta = {"schema_version": 1, "kind": "verified", "task": TASK, "task_version": 1,
                "task_fingerprint": task.fingerprint,
                "model": {"name": f"Synthetic model {k:03d}", "organisation": f"Synthetic lab {k % 7}",
                          "weights": "open" if k % 2 else "closed",
                          "parameters_b": None if k % 5 == 0 else float(1 + k % 70), "backend": "hf",
                          "spec": f"hf:synthetic/model-{k:03d}", "fingerprint": f"{k:064x}"},
                "prompt_version": task.spec.prompt, "frames": {"num_frames": task.spec.frames.num_frames},
                "seed": 0, "date": "2026-11-24", "contact": "benchmark"}
        (folder / "submission.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))


def timed_build(base: Path, cache: RescoreCache | None, workers: int | None = None) -> dict[str, float]:
    """Validate and re-score everything, then render; wall and CPU time (children included)."""
    catalog = TaskCatalog(base / "tasks")  # a fresh catalog: the build loads the task itself
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    checked = validate_all([], base / "submissions", catalog, cache, workers=workers)
    validated = time.perf_counter()
    assert all(c.ok for c in checked), [c.problems for c in checked if not c.ok][:3]
    boards = build_boards(checked, catalog)
    ranked = time.perf_counter()
    summary = build_site(boards, base / "site")
    finished = time.perf_counter()
    return {"validate": validated - started, "boards": ranked - validated, "render": finished - ranked,
            "total": finished - started, "cpu": _cpu_seconds() - cpu_before, "index_bytes": summary.index_bytes,
            "pages": summary.pages, "tied": sum(r.tied for b in boards for r in b.rows)}


def timed_export(base: Path, cache: RescoreCache) -> dict[str, float]:
    """What `rrbench leaderboard export` does: validate (cache warm), rank, write one Parquet per task."""
    catalog = TaskCatalog(base / "tasks")
    started = time.perf_counter()
    boards = build_boards(validate_all([], base / "submissions", catalog, cache), catalog)
    ready = time.perf_counter()
    cpu_before = _cpu_seconds()
    written = export_details(boards, base / "submissions", base / "details", catalog)
    finished = time.perf_counter()
    return {"prepare": ready - started, "write": finished - ready, "total": finished - started,
            "write_cpu": _cpu_seconds() - cpu_before,
            "rows": sum(n for _, n in written), "bytes": sum(p.stat().st_size for p, _ in written)}


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="Keep the generated submissions and site here.")
    parser.add_argument("--serial", action="store_true", help="Also time a one-process build without the cache.")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="rrbench-lb-bench-"))
    rng = np.random.default_rng(0)
    catalog = write_task(base, args.items, rng)
    write_submissions(base / "submissions", catalog, args.submissions, rng)
    size_mb = sum(p.stat().st_size for p in (base / "submissions").rglob("*") if p.is_file()) / 1e6
    print(f"generated {args.submissions} submissions × {args.items} items ({size_mb:.1f} MB) in {base}")

    cache = RescoreCache(base / "cache")
    cold = timed_build(base, cache)
    warm = timed_build(base, cache)
    serial = timed_build(base, None, workers=1) if args.serial else None
    site_mb = sum(p.stat().st_size for p in (base / "site").rglob("*") if p.is_file()) / 1e6
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    for label, run in (("cold build (empty cache)", cold), ("warm build (cache filled)", warm),
                       ("serial build, no cache", serial)):
        if run is None:
            continue
        print(f"{label:<26} {run['total']:6.2f} s wall  = validate + re-score {run['validate']:5.2f} s"
              f" + rank groups {run['boards']:4.2f} s + render {run['render']:4.2f} s;  CPU {run['cpu']:5.2f} s")
    print(f"build time target < 10 s: cold {cold['total']:.2f} s, warm {warm['total']:.2f} s")
    print(f"main page: {cold['index_bytes'] / 1e6:.3f} MB (target < 1 MB); "
          f"site {cold['pages']} pages, {site_mb:.1f} MB in all; {cold['tied']} rows in a tied rank group")
    export = timed_export(base, cache)
    print(f"export: {export['rows']:,} rows, {export['bytes'] / 1e6:.1f} MB Parquet in {export['total']:.2f} s "
          f"(target < 10 s) = validate (cache warm) + rank {export['prepare']:.2f} s + write {export['write']:.2f} s "
          f"(write CPU {export['write_cpu']:.2f} s)")
    if args.keep is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
