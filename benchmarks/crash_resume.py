"""Crash safety: SIGKILL ``rrbench eval`` at 20 random points, resume, compare with a clean run.

Prints how many kills landed, whether every item is in predictions.jsonl
exactly once, and whether the metrics equal the uninterrupted run's.

    python benchmarks/crash_resume.py [--kills 20] [--model random]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crash_harness import crash_and_resume, eval_args  # noqa: E402
from roboreward_bench.results.predictions import read_predictions  # noqa: E402
from video_fixtures import write_dataset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--model", default="random")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        rows = [{"file_name": f"s{v % 4}/v{v}.mp4", "task": f"task {v}", "reward": 1 + (v * 7 + k) % 5,
                 "item_id": f"v{v}-{k}", "clip_end": 4 + 3 * k} for v in range(100) for k in range(5)]
        dataset = write_dataset(tmp_path / "data", rows, videos={f"s{v % 4}/v{v}.mp4": 20 for v in range(100)})
        reference = tmp_path / "reference"
        subprocess.run(eval_args(str(dataset), args.model, reference), capture_output=True, check=True)
        points = sorted(np.random.default_rng().choice(np.arange(5, len(rows) - 5), size=args.kills,
                                                       replace=False).tolist())
        started = time.perf_counter()
        landed = crash_and_resume(str(dataset), args.model, tmp_path / "crashed", points)
        elapsed = time.perf_counter() - started
        ids = Counter(r.item_id for r in read_predictions(tmp_path / "crashed" / "predictions.jsonl"))
        same = (json.loads((tmp_path / "crashed" / "results.json").read_text())["metrics"]
                == json.loads((reference / "results.json").read_text())["metrics"])
    print(f"items: {len(rows)}   kill points: {args.kills}   kills that hit a running eval: {landed}")
    print(f"every item exactly once: {set(ids) == {r['item_id'] for r in rows} and max(ids.values()) == 1}")
    print(f"metrics identical to the uninterrupted run: {same}")
    print(f"wall time for {args.kills} crash/resume cycles: {elapsed:.1f} s")


if __name__ == "__main__":
    main()
