"""One episode: a seeded reset, a policy, per-step states and (optionally) rendered frames.

Labels come from states only. Rendering reads the simulator and never changes
it, so an episode replayed without rendering yields the same states, which is
how ``data verify`` checks labels quickly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from roboreward_bench.sim.envs import SimEnv
from roboreward_bench.sim.labels import StepState
from roboreward_bench.sim.policies import PolicySpec, make_policy


@dataclass(frozen=True)
class EpisodeSpec:
    """Everything that determines an episode (and so its labels).

    Every episode runs ``max_steps`` steps whatever happens (generator v2): the
    policy keeps acting after success, so a video's length never tells whether
    it succeeded. ``delay`` steps of slow wandering come first, so when a level
    is reached varies between episodes. ``camera`` is ``auto`` until the build
    picks the candidate camera that shows the main object best.
    """

    task: str
    seed: int
    policy: PolicySpec
    camera: str = "auto"
    max_steps: int = 150
    settle: int = 40       # steps with the arm still before the episode starts, so objects come to rest
    delay: int = 0         # steps of slow random wandering before the policy starts
    stride: int = 3        # one video frame every ``stride`` steps
    size: int = 320
    fps: int = 10
    group: str = ""
    split: str = "test"

    @property
    def episode_id(self) -> str:
        return f"{self.task.removesuffix('-v3')}-s{self.seed}-{self.policy.tag()}"

    def to_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["policy"] = self.policy.to_dict()
        return raw

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "EpisodeSpec":
        values = dict(raw)
        values["policy"] = PolicySpec.from_dict(values["policy"])
        return cls(**values)


@dataclass
class Episode:
    """A played episode: one state per step, the steps shown as frames, and the
    physics snapshot of each shown step (what rendering reads)."""

    spec: EpisodeSpec
    states: list[StepState]
    frame_steps: list[int]
    snapshots: list[np.ndarray] = field(default_factory=list)

    def frame_states(self) -> list[StepState]:
        """The state shown in each video frame."""
        return [self.states[step] for step in self.frame_steps]


# Arm still, gripper open: lids fall, doors swing and blocks settle before frame 0.
SETTLE_ACTION = np.array([0.0, 0.0, 0.0, -1.0])
WANDER_SCALE = 0.15   # action size while wandering before the policy starts


def shown_steps(num_steps: int, stride: int) -> list[int]:
    """Step indices shown as frames: every ``stride``-th step and always the last one."""
    steps = list(range(0, num_steps + 1, stride))
    if steps[-1] != num_steps:
        steps.append(num_steps)
    return steps


def play(env: SimEnv, spec: EpisodeSpec, render: bool = True) -> Episode:
    """Roll out ``spec`` on ``env`` (an env of ``spec.task``); ``render`` keeps physics snapshots
    of the shown steps so frames can be rendered afterwards from any camera."""
    policy = make_policy(spec.policy, spec.task, spec.seed)
    wander = np.random.default_rng([spec.seed, spec.delay, spec.policy.rng_seed(spec.seed)])
    obs = env.reset(spec.seed)
    for _ in range(spec.settle):
        obs, _info = env.step(SETTLE_ACTION)
    steps = shown_steps(spec.max_steps, spec.stride)
    shown = set(steps)
    states = [env.state(obs, None)]
    snapshots = [env.snapshot()] if render else []
    for t in range(1, spec.max_steps + 1):
        if t <= spec.delay:
            action = np.append(wander.uniform(-WANDER_SCALE, WANDER_SCALE, size=3), -1.0)
        else:
            action = policy(obs, t - 1 - spec.delay)
        obs, info = env.step(action)
        states.append(env.state(obs, info))
        if render and t in shown:
            snapshots.append(env.snapshot())
    return Episode(spec=spec, states=states, frame_steps=steps, snapshots=snapshots)
