"""Meta-World env construction, seeded resets and per-step state for the labeller.

An env is built once per task (≈0.15 s without ``MT1``'s 50 throwaway resets)
and reused: each episode reseeds Meta-World's own RNG with the episode seed,
so the initial state depends on the seed alone, never on earlier episodes.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.sim.catalog import STATE_DISTANCE_TASKS
from roboreward_bench.sim.labels import StepState

MAX_PATH_LENGTH = 500


class SimTaskError(RRBenchError):
    """A Meta-World task could not be constructed, reset or rendered."""


@dataclass
class SimEnv:
    """A Meta-World env for one task, ready for seeded episodes."""

    task: str
    env: Any
    _renderers: dict = field(default_factory=dict)

    def renderer(self, size: int):
        """This env's renderer at ``size`` px (built once per size)."""
        from roboreward_bench.sim.render import FastRenderer

        if size not in self._renderers:
            try:
                self._renderers[size] = FastRenderer(self.env.model, size)
            except Exception as exc:  # noqa: BLE001 - GL failures are reported with the task name
                raise SimTaskError(f"{self.task}: cannot render ({type(exc).__name__}: {exc})") from None
        return self._renderers[size]

    def render(self, camera, size: int) -> np.ndarray:
        """An upright frame of the current state."""
        return self.renderer(size).frame(self.env.data, camera)

    def visible_pixels(self, camera, size: int, geoms: frozenset[int]) -> int:
        """Pixels of ``geoms`` visible from ``camera`` in the current state."""
        return self.renderer(size).visible_pixels(self.env.data, camera, geoms)

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
        self.env.close()

    def reset(self, seed: int) -> np.ndarray:
        """Reset to the initial state of ``seed`` and return the first observation."""
        self.env.seed(int(seed))
        self.env._did_see_sim_exception = False
        self.env.reset()
        # reset_model() moves bodies in the model without a forward pass, so the
        # observation it returns can show objects where they were before.
        import mujoco

        mujoco.mj_forward(self.env.model, self.env.data)
        return self.env._get_obs()

    def snapshot(self) -> np.ndarray:
        """The full integration state (joints, velocities, mocap arm target) of this step."""
        import mujoco

        model, data = self.env.model, self.env.data
        kind = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(model, kind))
        mujoco.mj_getState(model, data, state, kind)
        return state

    def restore(self, state: np.ndarray) -> None:
        """Put the simulator back into a :meth:`snapshot` for rendering (no physics step)."""
        import mujoco

        model, data = self.env.model, self.env.data
        mujoco.mj_setState(model, data, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        mujoco.mj_forward(model, data)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, dict]:
        obs, _reward, _terminated, _truncated, info = self.env.step(np.asarray(action, dtype=np.float64))
        return obs, info

    def state(self, obs: np.ndarray, info: dict | None) -> StepState:
        """The labeller's view of the current step (``info`` None for the reset state)."""
        env = self.env
        if info is None:
            _reward, info = env.evaluate_state(obs, np.zeros(4, dtype=np.float32))
        dist = own_goal_distance(self.task, env, obs, info)
        return StepState(success=bool(info["success"]), goal_dist=float(dist),
                         hand=_vec(env.tcp_center), obj=_vec(obs[4:7]), goal=_vec(env._target_pos))

    @property
    def data(self) -> Any:
        return self.env.data

    @property
    def model(self) -> Any:
        return self.env.model


def _vec(values: Any) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))


def own_goal_distance(task: str, env: Any, obs: np.ndarray, info: dict) -> float:
    """The task's remaining distance to its goal (``info['obj_to_target']`` where it is meaningful)."""
    if task not in STATE_DISTANCE_TASKS:
        return float(info["obj_to_target"])
    target = np.asarray(env._target_pos)
    if task == "door-open-v3":
        return abs(float(obs[4]) - float(target[0]))
    if task == "box-close-v3":
        return float(np.linalg.norm(obs[4:7] - target))
    if task == "assembly-v3":
        return float(np.linalg.norm(target - env._get_site_pos("RoundNut")))
    if task == "disassemble-v3":
        return max(0.0, float(target[2]) - float(obs[6]))
    if task == "lever-pull-v3":
        return abs(-float(env.data.joint("LeverAxis").qpos[0]) - np.pi / 2.0)
    if task == "hammer-v3":
        return max(0.0, 0.09 - float(env.data.joint("NailSlideJoint").qpos[0]))
    raise AssertionError(task)


def make_env(task: str) -> SimEnv:
    """Build the env of ``task`` with the goal observable and seeded resets; failures name the task."""
    from roboreward_bench.sim.render import choose_gl_backend

    choose_gl_backend()  # MuJoCo reads MUJOCO_GL once, when Meta-World first imports it
    try:
        from metaworld.env_dict import ALL_V3_ENVIRONMENTS
        from metaworld.types import Task
    except ImportError as exc:
        raise RRBenchError(f"rrb-sim needs Meta-World: pip install 'rrbench[sim]' ({exc})") from None
    if task not in ALL_V3_ENVIRONMENTS:
        raise SimTaskError(f"{task}: not a Meta-World v3 task")
    try:
        cls = ALL_V3_ENVIRONMENTS[task]
        env = cls()
        placeholder = np.zeros(env._random_reset_space.low.size)
        env.set_task(Task(env_name=task, data=pickle.dumps(
            {"env_cls": cls, "rand_vec": placeholder, "partially_observable": False})))
        # Draw each episode's initial state from the env's own RNG, seeded per episode.
        env._freeze_rand_vec = False
        env.seeded_rand_vec = True
        env.max_path_length = MAX_PATH_LENGTH
    except Exception as exc:  # noqa: BLE001 - any construction failure is reported with the task name
        raise SimTaskError(f"{task}: Meta-World could not construct the env ({type(exc).__name__}: {exc})") from None
    return SimEnv(task=task, env=env)


class EnvCache:
    """The most recently used envs of one process, keyed by task."""

    def __init__(self, capacity: int = 4) -> None:
        self._capacity = capacity
        self._envs: OrderedDict[str, SimEnv] = OrderedDict()

    def get(self, task: str) -> SimEnv:
        if task in self._envs:
            self._envs.move_to_end(task)
            return self._envs[task]
        env = make_env(task)
        self._envs[task] = env
        while len(self._envs) > self._capacity:
            _, old = self._envs.popitem(last=False)
            old.close()
        return env

    def close(self) -> None:
        while self._envs:
            _, env = self._envs.popitem()
            env.close()
