"""Wall time of ``rrbench eval --model random`` on the shipped rrb-sim test split (target < 30 s).

Runs the real command in a subprocess (imports, loading, decoding every video,
scoring with the bootstrap, writing results) into a temporary folder.

    python benchmarks/rrb_sim_eval_time.py [--model random]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="random")
    parser.add_argument("--task", default="rrb-sim")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "roboreward_bench.cli.main", "eval", "--task", args.task, "--model",
                        args.model, "--output-dir", tmp, "--no-progress"], check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        counts = json.loads((Path(tmp) / "results.json").read_text())["counts"]
    print(f"rrbench eval --task {args.task} --model {args.model}: {counts['items']} items in {elapsed:.1f} s "
          f"wall ({counts['items'] / elapsed:.0f} items/s); target < 30 s")


if __name__ == "__main__":
    main()
