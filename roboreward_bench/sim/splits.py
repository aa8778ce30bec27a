"""Splits by seed: which episodes each split holds.

Seeds of different splits come from disjoint ranges, so no initial state is
shared between splits; the ML45 test tasks appear only in test and dev. A
group is one (task, seed): the expert plus failure policies from the same
initial state, for best-of-N scoring.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.sim.catalog import ALL_TASKS, OTHER_SKILLS, SEEN_TASKS
from roboreward_bench.sim.policies import PolicySpec
from roboreward_bench.sim.rollout import EpisodeSpec
from roboreward_bench.sim.visibility import CANDIDATE_CAMERAS

SEED_RANGE = 1_000_000
DEV_TASKS = ("reach-v3", "push-v3", "pick-place-v3", "drawer-open-v3", "door-close-v3", "button-press-v3",
             "handle-pull-v3", "hammer-v3", "peg-insert-side-v3", "plate-slide-v3", "box-close-v3",
             "door-unlock-v3")
_FAILURE_POOL = ("noisy", "noisy", "stalled", "stalled", "other-skill", "gripper-drop", "random")
_SIGMAS = (0.5, 1.0, 2.0)
_STALL_AT = (20, 30, 45, 60)
_DROP_AT = (25, 40, 55)
MAX_DELAY = 60   # steps of wandering before the policy starts, drawn per episode (v2)


@dataclass(frozen=True)
class SplitPlan:
    """How a split is generated: its tasks, seed range, groups per task and group size."""

    name: str
    tasks: tuple[str, ...]
    seed_base: int
    groups_per_task: int
    group_size: int
    target_items: int | None = None   # keep this many items after balancing levels (None: all)


SPLITS: dict[str, SplitPlan] = {
    "train": SplitPlan("train", SEEN_TASKS, 0 * SEED_RANGE, 10, 5),
    "val": SplitPlan("val", SEEN_TASKS, 1 * SEED_RANGE, 2, 5),
    "test": SplitPlan("test", ALL_TASKS, 2 * SEED_RANGE, 2, 3),
    "dev": SplitPlan("dev", DEV_TASKS, 3 * SEED_RANGE, 1, 4, target_items=100),
}


def split_plan(name: str) -> SplitPlan:
    if name not in SPLITS:
        raise RRBenchError(f"unknown rrb-sim split {name!r}; known: {', '.join(SPLITS)}")
    return SPLITS[name]


def _group_rng(split: str, task: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(split.encode()), zlib.crc32(task.encode()), seed])


def _failure(kind: str, task: str, rng: np.random.Generator, used_sigmas: set[float]) -> PolicySpec:
    if kind == "noisy":
        sigma = float(rng.choice([s for s in _SIGMAS if s not in used_sigmas]))
        used_sigmas.add(sigma)
        return PolicySpec("noisy", sigma=sigma)
    if kind == "stalled":
        return PolicySpec("stalled", at=int(rng.choice(_STALL_AT)))
    if kind == "gripper-drop":
        return PolicySpec("gripper-drop", at=int(rng.choice(_DROP_AT)))
    if kind == "other-skill":
        return PolicySpec("other-skill", skill=str(rng.choice([s for s in OTHER_SKILLS if s != task])))
    return PolicySpec("random")


def group_specs(split: str, task: str, seed: int, group_size: int) -> list[EpisodeSpec]:
    """The episodes of one group: the expert and ``group_size - 1`` distinct failures."""
    rng = _group_rng(split, task, seed)
    picks = rng.choice(len(_FAILURE_POOL), size=min(group_size - 1, len(_FAILURE_POOL)), replace=False)
    policies = [PolicySpec("expert")]
    used_sigmas: set[float] = set()
    for index in sorted(int(i) for i in picks):
        policy = _failure(_FAILURE_POOL[index], task, rng, used_sigmas)
        if policy not in policies:
            policies.append(policy)
    group = f"{task.removesuffix('-v3')}-s{seed}"
    delays = rng.integers(0, MAX_DELAY + 1, size=len(policies))
    # One camera per group, drawn before anything is played: a camera chosen by what is visible
    # at the end would depend on the outcome and tell the label (data audit: camera +0.3).
    camera = str(rng.choice(CANDIDATE_CAMERAS))
    return [EpisodeSpec(task=task, seed=seed, policy=p, camera=camera, delay=int(d), group=group, split=split)
            for p, d in zip(policies, delays)]


def plan_episodes(split: str, groups_per_task: int | None = None, tasks: tuple[str, ...] | None = None,
                  group_size: int | None = None) -> list[EpisodeSpec]:
    """Every episode of ``split``, grouped by (task, seed), in a stable order."""
    plan = split_plan(split)
    chosen = plan.tasks if tasks is None else tasks
    if split in ("train", "val"):
        unseen = [t for t in chosen if t not in SEEN_TASKS and t in ALL_TASKS]
        if unseen:
            raise RRBenchError(f"{', '.join(unseen)}: held-out (ML45 test) tasks never go in {split}")
    count = plan.groups_per_task if groups_per_task is None else groups_per_task
    if count >= SEED_RANGE:
        raise RRBenchError(f"at most {SEED_RANGE - 1} groups per task")
    size = plan.group_size if group_size is None else group_size
    specs: list[EpisodeSpec] = []
    for task in chosen:
        for g in range(count):
            specs += group_specs(split, task, plan.seed_base + g, size)
    return specs
