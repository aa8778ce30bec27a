"""The LIBERO worker: plays, renders, encodes and records episodes (runs in the managed LIBERO env).

Invoked as ``python -m roboreward_bench.libero.worker JOB.json`` by the build,
with this package on ``PYTHONPATH``; it imports only numpy, PyAV, LIBERO and
the numpy-only modules ``skills``, ``scene`` and ``policies``. For each
episode it writes the MP4s and a record ``.build/<episode>.json`` (the goal
atoms and, for every shown frame, their truth and the geometry the labeller
needs), each under a temporary name then renamed, so a resumed build never
trusts a half file. A task that cannot be built or whose goal uses a predicate
no skill covers is recorded in ``.build/failed-<task>.json`` and skipped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from roboreward_bench.libero import scene
from roboreward_bench.libero.policies import UnsupportedGoal, make_policy
from roboreward_bench.sim.video import write_mp4  # light: numpy and PyAV, both in the LIBERO environment

LIBERO_CRF = 28  # busier household scenes than Meta-World: a little more compression keeps the split small

SETTLE_STEPS = 20
CAMERAS = {"agentview": "agentview", "wrist": "robot0_eye_in_hand"}


class TaskEnv:
    """One LIBERO task's env, its init states and the names its atoms use."""

    def __init__(self, suite_name: str, index: int) -> None:
        from libero.libero import benchmark, get_libero_path
        from libero.libero.envs import OffScreenRenderEnv

        suite = benchmark.get_benchmark_dict()[suite_name]()
        task = suite.get_task(index)
        bddl = os.path.join(get_libero_path("bddl_files"), task.problem_folder, task.bddl_file)
        self.language = task.language
        self.init_states = suite.get_task_init_states(index)
        self.env = OffScreenRenderEnv(bddl_file_name=bddl, camera_names=["agentview"], camera_heights=64,
                                      camera_widths=64, use_camera_obs=False)
        self.inner = self.env.env
        self.goal = scene.goal_atoms(self.inner.parsed_problem["goal_state"])
        self._fast_render()

    def _fast_render(self) -> None:
        model = self.inner.sim.model
        model.vis.quality.offsamples = 0

    def reset(self, init_index: int) -> dict:
        self.env.seed(0)
        self.env.reset()
        obs = self.env.set_init_state(self.init_states[init_index % len(self.init_states)])
        idle = np.array([0, 0, 0, 0, 0, 0, -1.0])
        for _ in range(SETTLE_STEPS):
            obs, _r, _d, _i = self.env.step(idle)
        return obs

    def render(self, camera: str, size: int) -> np.ndarray:
        """An upright frame; shadows and reflections are turned off once the GL context exists."""
        sim = self.inner.sim
        frame = sim.render(width=size, height=size, camera_name=CAMERAS[camera])
        context = getattr(sim, "_render_context_offscreen", None)
        if context is not None and not getattr(context, "_rrb_fast", False):
            import mujoco

            context.scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
            context.scn.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
            context._rrb_fast = True
            frame = sim.render(width=size, height=size, camera_name=CAMERAS[camera])
        return frame[::-1].copy()

    def close(self) -> None:
        self.env.close()


def _atoms_of(inner, goals: dict[str, list[list]]) -> dict[str, tuple[str, list[str]]]:
    """Every atom of every goal, plus the same-kind variants of each place atom's object."""
    atoms: dict[str, tuple[str, list[str]]] = {}
    for goal in goals.values():
        for pred, args in goal:
            atoms[scene.atom_key(pred, args)] = (pred, args)
            if pred in scene.PLACE_PREDICATES:
                for other in scene.siblings(inner, args[0]):
                    atoms[scene.atom_key(pred, [other, args[1]])] = (pred, [other, args[1]])
    return atoms


def _frame_state(inner, obs, atoms, names) -> dict:
    grip = obs["robot0_gripper_qpos"]
    joints = {}
    for pred, args in atoms.values():
        if pred in scene.JOINT_PREDICATES:
            joints[args[0]] = round(scene.joint_value(inner, args[0]), 5)
    return {"eef": [round(float(v), 4) for v in obs["robot0_eef_pos"]],
            "grip": round(float(grip[0] - grip[1]), 4),
            "pos": {n: [round(float(v), 4) for v in scene.position(inner, n)] for n in names},
            "joint": joints,
            "truth": {k: int(scene.evaluate(inner, p, a)) for k, (p, a) in atoms.items()}}


def play(task_env: TaskEnv, spec: dict, render: bool = True) -> dict:
    """One episode of ``spec``: record of shown frames (and frames per camera when rendering)."""
    inner = task_env.inner
    goals = {k: [list(a) for a in v] for k, v in spec["goals"].items()}
    goals[spec["task"]] = [[p, a] for p, a in task_env.goal]
    atoms = _atoms_of(inner, goals)
    names = sorted({n for _p, args in atoms.values() for n in args} | set(inner.objects_dict))
    obs = task_env.reset(spec["init"])
    distractors = [a[0] for k, v in goals.items() if k != spec["task"] for p, a in v if p in scene.PLACE_PREDICATES]
    policy = make_policy(spec["policy"], task_env.goal, inner, spec["seed"], distractors)
    frames: dict[str, list] = {cam: [] for cam in spec["cameras"]}
    states = []
    step_time = render_time = 0.0
    check = set(spec.get("check_frames", ()))
    goal_names = sorted({n for _p, args in atoms.values() for n in args})
    visible: dict[int, dict[str, int]] = {}
    for t in range(spec["horizon"] + 1):
        if t % spec["stride"] == 0:
            if len(states) in check:
                visible[len(states)] = scene.visible_pixels(inner, goal_names, CAMERAS["agentview"], spec["size"])
            states.append(_frame_state(inner, obs, atoms, names))
            if render:
                started = time.perf_counter()
                for cam in spec["cameras"]:
                    frames[cam].append(task_env.render(cam, spec.get("sizes", {}).get(cam, spec["size"])))
                render_time += time.perf_counter() - started
        if t == spec["horizon"]:
            break
        started = time.perf_counter()
        action = policy(scene.snapshot(inner, obs, names), t)
        obs, _r, _d, _i = task_env.env.step(action)
        step_time += time.perf_counter() - started
    start_q = {k: states[0]["joint"][a[0]] for k, (p, a) in atoms.items() if p in scene.JOINT_PREDICATES}
    atom_table = {k: {"pred": p, "args": a} for k, (p, a) in atoms.items()}
    for key, q0 in start_q.items():
        pred, args = atoms[key]
        atom_table[key]["goal_q"] = scene.joint_goal(inner, pred, args[0], q0)
    boxes = scene.snapshot(inner, obs, names).boxes
    halves = {n: [round(float(v), 4) for v in boxes[n].half] for n in names if n in inner.obj_body_id}
    record = {"spec": spec, "language": task_env.language, "atoms": atom_table,
              "goals": {k: [scene.atom_key(p, a) for p, a in v] for k, v in goals.items()},
              "half_sizes": halves, "states": states, "visible": visible,
              "timing": {"step_s": round(step_time, 3), "render_s": round(render_time, 3)}}
    return {"record": record, "frames": frames}


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.part")
    tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


def run_job(job: dict) -> None:
    """Play every episode of ``job`` whose record is missing; one env per task at a time.

    With ``"replay": true`` nothing is rendered or encoded: records go to ``OUT/replay`` (what
    ``data verify`` compares, with segmentation counts at each spec's ``check_frames``)."""
    out = Path(job["out"])
    replay = bool(job.get("replay"))
    records = out / ("replay" if replay else ".build")
    records.mkdir(parents=True, exist_ok=True)
    current: tuple[str, TaskEnv] | None = None
    failed: set[str] = set()
    for spec in job["episodes"]:
        task = spec["task"]
        target = records / f"{spec['episode_id']}.json"
        if task in failed or target.is_file():
            continue
        try:
            if current is None or current[0] != task:
                if current is not None:
                    current[1].close()
                current = (task, TaskEnv(spec["suite"], spec["index"]))
            result = play(current[1], spec, render=not replay)
        except UnsupportedGoal as exc:
            failed.add(task)
            _write_json(records / f"failed-{task}.json", {"task": task, "message": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - a simulator failure is recorded with the task name
            failed.add(task)
            _write_json(records / f"failed-{task}.json",
                        {"task": task, "message": f"{type(exc).__name__}: {exc}"})
            current = None
            continue
        for cam, frames in ({} if replay else result["frames"]).items():
            path = out / spec["files"][cam]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_mp4(path, frames, fps=spec["fps"], crf=LIBERO_CRF)
        _write_json(target, result["record"])
    if current is not None:
        current[1].close()


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    run_job(job)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
