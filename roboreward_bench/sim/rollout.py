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
    """Everything that determines an episode (and so its labels)."""

    task: str
    seed: int
    policy: PolicySpec
    camera: str = "corner"
    max_steps: int = 150
    settle: int = 40       # steps with the arm still before the episode starts, so objects come to rest
    hold: int = 6          # steps kept after the first success, then the episode ends
    stride: int = 3        # one video frame every ``stride`` steps
    size: int = 224
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
    """A played episode: one state per step, the steps shown as frames, and the frames."""

    spec: EpisodeSpec
    states: list[StepState]
    frame_steps: list[int]
    frames: list[np.ndarray] = field(default_factory=list)

    def frame_states(self) -> list[StepState]:
        """The state shown in each video frame."""
        return [self.states[step] for step in self.frame_steps]


# Arm still, gripper open: lids fall, doors swing and blocks settle before frame 0.
SETTLE_ACTION = np.array([0.0, 0.0, 0.0, -1.0])


def shown_steps(num_steps: int, stride: int) -> list[int]:
    """Step indices shown as frames: every ``stride``-th step and always the last one."""
    steps = list(range(0, num_steps + 1, stride))
    if steps[-1] != num_steps:
        steps.append(num_steps)
    return steps


def play(env: SimEnv, spec: EpisodeSpec, render: bool = True) -> Episode:
    """Roll out ``spec`` on ``env`` (an env of ``spec.task``)."""
    policy = make_policy(spec.policy, spec.task, spec.seed)
    obs = env.reset(spec.seed)
    for _ in range(spec.settle):
        obs, _info = env.step(SETTLE_ACTION)
    states = [env.state(obs, None)]
    frames: list[np.ndarray] = []
    if render:
        frames.append(env.render(spec.camera, spec.size))
    end = spec.max_steps
    t = 0
    while t < end:
        obs, info = env.step(policy(obs, t))
        t += 1
        states.append(env.state(obs, info))
        if states[-1].success and end == spec.max_steps:
            end = min(spec.max_steps, t + spec.hold)
        if render and (t % spec.stride == 0 or t == end):
            frames.append(env.render(spec.camera, spec.size))
    return Episode(spec=spec, states=states, frame_steps=shown_steps(t, spec.stride), frames=frames)
