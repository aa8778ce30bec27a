"""Policy kinds for rollouts: the scripted expert and its controlled failures.

Every random choice a policy makes comes from an RNG seeded by the episode
seed and the policy's settings, so an episode is reproducible from its row.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np

from roboreward_bench.errors import DataError

POLICY_KINDS = ("expert", "noisy", "stalled", "other-skill", "gripper-drop", "random")


@dataclass(frozen=True)
class PolicySpec:
    """A policy kind and its settings.

    - ``noisy``: expert actions plus Gaussian noise of std ``sigma``;
    - ``stalled``: the expert for ``at`` steps, then the arm holds still;
    - ``other-skill``: the scripted expert of task ``skill`` on this scene;
    - ``gripper-drop``: the expert, but the gripper is forced open from step ``at`` on;
    - ``random``: uniform random actions.
    """

    kind: str
    sigma: float = 0.0
    at: int = 0
    skill: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (0, 0.0, "") or k == "kind"}

    @classmethod
    def from_dict(cls, raw: Any, where: str = "policy") -> "PolicySpec":
        if not isinstance(raw, dict) or raw.get("kind") not in POLICY_KINDS:
            raise DataError(f"{where}: policy must be a mapping with kind one of {', '.join(POLICY_KINDS)}")
        try:
            return cls(kind=raw["kind"], sigma=float(raw.get("sigma", 0.0)), at=int(raw.get("at", 0)),
                       skill=str(raw.get("skill", "")))
        except (TypeError, ValueError) as exc:
            raise DataError(f"{where}: bad policy settings {raw!r} ({exc})") from None

    def tag(self) -> str:
        """A short file-name-safe name, e.g. ``noisy1.0`` or ``other-reach``."""
        if self.kind == "noisy":
            return f"noisy{self.sigma:g}"
        if self.kind in ("stalled", "gripper-drop"):
            return f"{self.kind}{self.at}"
        if self.kind == "other-skill":
            return f"other-{self.skill.removesuffix('-v3')}"
        return self.kind

    def rng_seed(self, seed: int) -> int:
        """The seed of this policy's own RNG in an episode of ``seed``."""
        return zlib.crc32(json.dumps([seed, self.to_dict()], sort_keys=True).encode())


Policy = Callable[[np.ndarray, int], np.ndarray]


def _expert(task: str) -> Any:
    from metaworld.policies import ENV_POLICY_MAP

    return ENV_POLICY_MAP[task]()


def make_policy(spec: PolicySpec, task: str, seed: int) -> Policy:
    """A function ``(obs, step) -> action in [-1, 1]^4`` for an episode of ``task``."""
    import warnings

    warnings.filterwarnings("ignore", message="Constant\\(s\\) may be too high")
    rng = np.random.default_rng(spec.rng_seed(seed))
    if spec.kind == "random":
        return lambda obs, t: rng.uniform(-1.0, 1.0, size=4)
    expert = _expert(spec.skill if spec.kind == "other-skill" else task)

    def act(obs: np.ndarray, t: int) -> np.ndarray:
        action = np.clip(np.asarray(expert.get_action(obs), dtype=np.float64), -1.0, 1.0)
        if spec.kind == "noisy":
            action = action + rng.normal(0.0, spec.sigma, size=4)
        elif spec.kind == "stalled" and t >= spec.at:
            action = np.array([0.0, 0.0, 0.0, action[3]])
        elif spec.kind == "gripper-drop" and t >= spec.at:
            action[3] = -1.0
        return np.clip(action, -1.0, 1.0)

    return act
