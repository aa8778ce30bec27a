"""The real LIBERO worker in its managed environment: one short episode, and a task no skill covers.

Needs the managed LIBERO environment (``scripts/setup.sh`` creates it). Outside
CI the tests skip when it is absent; in CI (``CI`` set) its absence fails them.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.libero import environment
from roboreward_bench.libero.labels import frame_labels
from roboreward_bench.libero.splits import episode_spec

SHORT_HORIZON = 30


def _env_or_skip():
    root = environment.env_dir()
    if not (root / ".complete").is_file() and not os.environ.get(environment.ENV_VARIABLE):
        if os.environ.get("CI"):
            pytest.fail(f"the managed LIBERO environment {root} is missing (scripts/setup.sh creates it)")
        pytest.skip(f"no managed LIBERO environment at {root}")
    return environment.ensure_env(log=lambda _m: None)


@pytest.fixture(scope="module")
def worker_output(tmp_path_factory):
    root, gl = _env_or_skip()
    out = tmp_path_factory.mktemp("libero")
    short = episode_spec("dev", "spatial-0", 45, {"kind": "expert", "delay": 0})
    short["horizon"] = SHORT_HORIZON
    unsupported = episode_spec("dev", "goal-7", 45, {"kind": "expert", "delay": 0})
    job = out / "job.json"
    job.write_text(json.dumps({"out": str(out), "episodes": [unsupported, short]}))
    result = subprocess.run([str(environment.env_python(root)), "-m", "roboreward_bench.libero.worker", str(job)],
                            env=environment.worker_environ(gl), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out, short


def test_one_short_episode_records_states_and_both_cameras(worker_output):
    from roboreward_bench.sim.video import count_frames
    import av

    out, spec = worker_output
    record = json.loads((out / ".build" / f"{spec['episode_id']}.json").read_text())
    shown = SHORT_HORIZON // spec["stride"] + 1
    assert len(record["states"]) == shown
    labels = frame_labels(record, "spatial-0")
    assert labels[0] == 1 and len(labels) == shown and all(1 <= v <= 5 for v in labels)
    # the arm moves toward the bowl within 30 steps; the bowl itself has not moved yet
    assert record["states"][-1]["eef"] != record["states"][0]["eef"]
    assert spec["sizes"] == {"agentview": 320, "wrist": 256}
    for cam in ("agentview", "wrist"):
        path = out / spec["files"][cam]
        assert count_frames(path) == shown
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
        assert frame.shape == (spec["sizes"][cam], spec["sizes"][cam], 3)
    # upright agentview: the table (bright wood) fills the lower half, the darker wall the top rows
    with av.open(str(out / spec["files"]["agentview"])) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert frame[-40:].mean() > frame[:20].mean()


def test_a_goal_without_a_skill_is_skipped_by_name(worker_output):
    out, _spec = worker_output
    failed = json.loads((out / ".build" / "failed-goal-7.json").read_text())
    assert failed["task"] == "goal-7" and "turnon" in failed["message"]


def test_missing_environment_is_one_line(tmp_path):
    missing = tmp_path / "no-env"
    missing.mkdir()
    process = rrbench("data", "build", "rrb-libero", "--split", "dev", "--out", str(tmp_path / "out"),
                      "--tasks", "spatial-0", "--groups", "1", "--no-progress",
                      env={environment.ENV_VARIABLE: str(missing)})
    assert_one_line_error(process, "no bin/python")
