"""rrb-libero generation rate: episodes per hour on N workers (target ≥ 300/h on 2 workers).

Runs the real build (``libero.build.build_split``: managed LIBERO env, worker
subprocesses, rendering both cameras, encoding, records) for one group of each
chosen task into a temporary folder, and prints episodes/hour beside the
per-episode step and render seconds the workers recorded, and peak RSS.

    nice -n 10 python benchmarks/libero_build_rate.py [--workers 2] [--tasks spatial-0,object-0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    from roboreward_bench.libero.build import RECORDS_DIR, build_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", default="spatial-0,object-0")
    parser.add_argument("--keep", help="Build into this folder instead of a temporary one.")
    args = parser.parse_args()
    tasks = tuple(t for t in args.tasks.split(",") if t)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep or tmp)
        started = time.perf_counter()
        report = build_split("dev", out, workers=args.workers, groups_per_task=1, tasks=tasks, progress=False,
                             log=lambda _line: None)
        wall = time.perf_counter() - started
        timings = [json.loads(p.read_text())["timing"] for p in (out / RECORDS_DIR).glob("*-i*.json")]
    frames = [t for t in timings]
    print(f"{report.ran} episodes ({len(tasks)} tasks × 1 group) on {args.workers} workers in {wall:.0f} s wall: "
          f"{3600 * report.ran / wall:.0f} episodes/hour (target ≥ 300/h on 2 workers)")
    if frames:
        print(f"per episode: stepping {statistics.median(t['step_s'] for t in frames):.1f} s, rendering "
              f"{statistics.median(t['render_s'] for t in frames):.1f} s (medians over {len(frames)} episodes)")
    print(f"machine load average (1 min): {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
          f"on {os.cpu_count()} cores: the rate scales with the CPU share the workers get")
    print(f"expert success: {report.expert_success}; skipped: {report.failed_tasks or 'none'}")
    print(f"peak RSS of the build process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"workers: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
