"""Splits by LIBERO init state: which episodes each split holds.

Each LIBERO task ships 50 fixed initial states; splits take disjoint ranges of
them, and the unseen tasks (``catalog.UNSEEN``) never enter train or val. A
group is one (task, init state): the expert and failure policies started from
the same state, the unit the bootstrap resamples.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.libero.catalog import UNSEEN, scene_mates, task, tasks
from roboreward_bench.libero.scene import category

STRIDE = 5                 # one frame every 5 control steps (20 Hz control, 4 Hz shown)
FPS = 10
CAMERAS = ("agentview", "wrist")
SIZES = {"agentview": 320, "wrist": 256}   # px, square; the front view at the most detail allowed
HORIZON_PER_GOAL = {1: 220, 2: 380, 3: 500}
MAX_DELAY = 40             # expert starts after 0..MAX_DELAY idle steps: when levels are reached varies


@dataclass(frozen=True)
class SplitPlan:
    name: str
    init_start: int
    groups_per_task: int
    seen_only: bool
    target_items: int | None = None


SPLITS = {
    "test": SplitPlan("test", 0, 3, False),
    "dev": SplitPlan("dev", 45, 1, False, target_items=100),
    "train": SplitPlan("train", 15, 20, True),
    "val": SplitPlan("val", 40, 4, True),
}


def split_plan(name: str) -> SplitPlan:
    if name not in SPLITS:
        raise RRBenchError(f"unknown rrb-libero split {name!r}; known: {', '.join(SPLITS)}")
    return SPLITS[name]


DEV_TASKS = ("spatial-0", "spatial-5", "object-0", "object-4", "goal-6", "goal-8", "10-0", "10-4")


def default_tasks(split: str) -> tuple[str, ...]:
    """Tasks whose goals the scripted skills cover (seen ones only for train and val)."""
    if split == "dev":
        return DEV_TASKS
    chosen = [k for k, t in tasks().items() if t.skilled]
    if split_plan(split).seen_only:
        chosen = [k for k in chosen if k not in UNSEEN]
    return tuple(sorted(chosen))


def has_distractor(key: str) -> bool:
    """The scene holds another object of the goal object's kind, or one another goal of the scene moves."""
    info = task(key)
    obj = info.goal[0][1][0]
    if any(o != obj and category(o) == category(obj) for o in info.objects):
        return True
    return any(p in ("on", "in") and a[0] != obj and a[0] in info.objects
               for m in scene_mates(key) for p, a in task(m).goal)


def group_policies(split: str, key: str, init: int) -> list[dict]:
    """The expert and its failures from one init state, with settings drawn per group."""
    rng = np.random.default_rng([zlib.crc32(split.encode()), zlib.crc32(key.encode()), init])
    delay = lambda: int(rng.integers(0, MAX_DELAY + 1))  # noqa: E731 - one draw per policy
    policies = [
        {"kind": "expert", "delay": delay()},
        {"kind": "noisy", "sigma": float(rng.choice([0.5, 0.8, 1.2])), "delay": delay()},
        {"kind": "stalled", "at": int(rng.choice([25, 40, 55, 70, 90])), "delay": delay()},
        {"kind": "released", "release_at": float(rng.choice([0.2, 0.45, 0.7])), "delay": delay()},
        {"kind": "wrong-place", "delay": delay()},
    ]
    if has_distractor(key):
        policies.append({"kind": "wrong-object", "pick": int(rng.integers(0, 4)), "delay": delay()})
    if len(task(key).goal) > 1:
        policies.append({"kind": "partial", "delay": delay()})
    return policies


def policy_tag(policy: dict) -> str:
    kind = policy["kind"]
    if kind == "noisy":
        return f"noisy{policy['sigma']:g}"
    if kind == "stalled":
        return f"stalled{policy['at']}"
    if kind == "released":
        return f"released{policy['release_at']:g}"
    if kind == "wrong-object":
        return f"wrong-object{policy.get('pick', 0)}"
    return kind


def episode_spec(split: str, key: str, init: int, policy: dict) -> dict:
    """Everything the worker needs to play one episode, and the item rows need to describe it."""
    info = task(key)
    episode_id = f"{key}-i{init}-{policy_tag(policy)}"
    mates = {m: [[p, list(a)] for p, a in task(m).goal] for m in scene_mates(key)}
    return {"task": key, "suite": info.suite, "index": info.index, "init": init, "seed": init,
            "policy": policy, "goals": mates, "cameras": list(CAMERAS),
            "horizon": HORIZON_PER_GOAL.get(len(info.goal), 480), "stride": STRIDE, "size": SIZES["agentview"], "sizes": dict(SIZES), "fps": FPS,
            "group": f"{key}-i{init}", "split": split, "episode_id": episode_id,
            "files": {cam: f"{info.family}/{episode_id}{'' if cam == 'agentview' else '-' + cam}.mp4"
                      for cam in CAMERAS}}


def plan_episodes(split: str, groups_per_task: int | None = None,
                  chosen: tuple[str, ...] | None = None) -> list[dict]:
    """Every episode of ``split``, grouped by (task, init state), in a stable order."""
    plan = split_plan(split)
    keys = default_tasks(split) if chosen is None else chosen
    if plan.seen_only:
        unseen = [k for k in keys if k in UNSEEN]
        if unseen:
            raise RRBenchError(f"{', '.join(unseen)}: held-out tasks never go in {split}")
    count = plan.groups_per_task if groups_per_task is None else groups_per_task
    specs = []
    for key in keys:
        task(key)
        for init in range(plan.init_start, plan.init_start + count):
            specs += [episode_spec(split, key, init, p) for p in group_policies(split, key, init)]
    return specs
