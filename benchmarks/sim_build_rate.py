"""Episodes per second for generating rrb-sim train data (rendered, encoded, labelled).

    python benchmarks/sim_build_rate.py --episodes 40 --workers 2

Builds at least ``--episodes`` train episodes into a temporary folder with
``data build``'s own code path and prints the rate and the projected time
for 500 episodes.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=40, help="build at least this many episodes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="folder to build into (default: a temporary one)")
    args = parser.parse_args()

    from roboreward_bench.sim.build import build_split
    from roboreward_bench.sim.splits import SPLITS

    plan = SPLITS["train"]
    per_task = plan.group_size
    if args.episodes <= len(plan.tasks) * per_task:   # one group each of the first k tasks
        tasks, groups = plan.tasks[: math.ceil(args.episodes / per_task)], 1
    else:
        tasks, groups = plan.tasks, math.ceil(args.episodes / (len(plan.tasks) * per_task))
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "train"
        started = time.perf_counter()
        report = build_split("train", out, workers=args.workers, groups_per_task=groups, tasks=tasks,
                             progress=False)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*.mp4"))
    rate = report.ran / seconds
    print(f"train episodes generated: {report.ran} ({len(tasks)} tasks x {groups} group(s)), "
          f"items: {report.items}, workers: {args.workers}")
    print(f"wall time: {seconds:.1f} s  ->  {rate:.2f} episodes/s, {size / max(report.ran, 1) / 1024:.0f} KiB/episode")
    print(f"projected for 500 episodes: {500 / rate / 60:.1f} min")
    if report.failed_tasks:
        print(f"failed tasks: {report.failed_tasks}")


if __name__ == "__main__":
    main()
