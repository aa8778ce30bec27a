"""SIGKILL an eval at random points, resume it, and compare with an uninterrupted run."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from crash_harness import crash_and_resume, eval_args
from roboreward_bench.results.predictions import read_predictions
from video_fixtures import write_dataset


def test_killed_runs_resume_exactly(tmp_path):
    rows = [{"file_name": f"s{v % 4}/v{v}.mp4", "task": f"task {v}", "reward": 1 + (v * 7 + k) % 5,
             "item_id": f"v{v}-{k}", "clip_end": 4 + 3 * k} for v in range(40) for k in range(5)]
    dataset = write_dataset(tmp_path / "data", rows, videos={f"s{v % 4}/v{v}.mp4": 20 for v in range(40)})
    import subprocess

    reference = tmp_path / "reference"
    assert subprocess.run(eval_args(str(dataset), "random", reference), capture_output=True).returncode == 0
    kill_points = sorted(np.random.default_rng().choice(np.arange(5, 195), size=5, replace=False).tolist())
    crashed = tmp_path / "crashed"
    landed = crash_and_resume(str(dataset), "random", crashed, kill_points)
    assert landed >= 3, f"only {landed} of 5 kills hit a running eval"
    ids = Counter(r.item_id for r in read_predictions(crashed / "predictions.jsonl"))
    assert set(ids) == {row["item_id"] for row in rows}
    assert max(ids.values()) == 1
    expected = json.loads((reference / "results.json").read_text())["metrics"]
    assert json.loads((crashed / "results.json").read_text())["metrics"] == expected
