"""Policy kinds for LIBERO episodes: the scripted expert and its controlled failures (numpy only).

A policy spec is a plain dict (``kind`` plus settings) so it travels in the
job file and the item rows. Every random choice comes from an RNG seeded by
the episode seed and the spec, so an episode replays exactly.

- ``expert``: the goal's skills in order, after ``delay`` idle steps;
- ``noisy``: expert plus Gaussian noise of std ``sigma`` on the translation;
- ``stalled``: the expert until step ``at``, then the arm holds still;
- ``released``: the first pick-and-place opens the gripper ``release_at`` of the way to the target;
- ``wrong-object``: the first pick-and-place moves another object of the same kind, or where the
  scene has none, the object of another goal of the scene (a plausible distractor);
- ``wrong-place``: the first pick-and-place goes to the receptacle nearest the right one;
- ``partial``: only the first goal of a two-goal task.
"""

from __future__ import annotations

import json
import zlib
from typing import Callable

import numpy as np

from roboreward_bench.libero.scene import category as _category
from roboreward_bench.libero.scene import position
from roboreward_bench.libero.skills import PickPlace, Snapshot

POLICY_KINDS = ("expert", "noisy", "stalled", "released", "wrong-object", "wrong-place", "partial")
SKILLED_PREDICATES = ("on", "in")


class UnsupportedGoal(Exception):
    """The task's goal uses a predicate no scripted skill covers."""


class NotApplicable(Exception):
    """This failure kind does not exist for this task (e.g. no same-kind distractor)."""


def _skills(goal: list[tuple[str, list[str]]], spec: dict, inner, distractors: list[str]) -> list:
    for pred, _args in goal:
        if pred not in SKILLED_PREDICATES:
            raise UnsupportedGoal(f"no scripted skill for the BDDL predicate {pred!r}")
    kind = spec["kind"]
    steps = list(goal)
    if kind == "partial":
        if len(steps) < 2:
            raise NotApplicable("partial needs a goal of two predicates")
        steps = steps[:1]
    skills = []
    for i, (pred, (obj, target)) in enumerate(steps):
        release_at = None
        if i == 0 and kind == "wrong-object":
            others = sorted(o for o in inner.objects_dict if o != obj and _category(o) == _category(obj))
            others = others or [d for d in distractors if d != obj and d in inner.objects_dict]
            if not others:
                raise NotApplicable(f"no other {_category(obj)} and no distractor in the scene")
            obj = others[int(spec.get("pick", 0)) % len(others)]
        if i == 0 and kind == "wrong-place":
            target = _near_miss(inner, obj, target)
        if i == 0 and kind == "released":
            release_at = float(spec["release_at"])
        skills.append(PickPlace(obj, target, inside=pred == "in", release_at=release_at))
    return skills


def _near_miss(inner, obj: str, target: str) -> str:
    """The movable object nearest ``target`` that is neither ``obj``, ``target`` nor of ``obj``'s kind."""
    here = position(inner, target)
    candidates = [o for o in inner.objects_dict
                  if o not in (obj, target) and _category(o) != _category(obj)]
    if not candidates:
        raise NotApplicable("no other receptacle in the scene")
    return min(candidates, key=lambda o: float(np.linalg.norm(position(inner, o)[:2] - here[:2])))


def rng_seed(seed: int, spec: dict) -> int:
    return zlib.crc32(json.dumps([seed, spec], sort_keys=True).encode())


def make_policy(spec: dict, goal, inner, seed: int,
                distractors: list[str] = ()) -> Callable[[Snapshot, int], np.ndarray]:
    """``(snapshot, step) -> action`` for one episode of a task whose goal atoms are ``goal``;
    ``distractors`` are objects other goals of the scene move (for ``wrong-object``)."""
    skills = _skills(goal, spec, inner, sorted(distractors))
    rng = np.random.default_rng(rng_seed(seed, spec))
    delay = int(spec.get("delay", 0))
    state = {"index": 0, "gripper": -1.0}

    def act(snap: Snapshot, t: int) -> np.ndarray:
        if t < delay or (spec["kind"] == "stalled" and t >= spec["at"] + delay):
            return np.array([0, 0, 0, 0, 0, 0, state["gripper"]], dtype=float)
        skill = skills[min(state["index"], len(skills) - 1)]
        action = skill.act(snap)
        if skill.phase >= 7 and state["index"] < len(skills) - 1 and skill.count >= 0:
            skill.count += 1
            if skill.count > 20:
                state["index"] += 1
        if spec["kind"] == "noisy":
            action[:3] = action[:3] + rng.normal(0.0, float(spec["sigma"]), size=3)
        state["gripper"] = float(action[6])
        return np.clip(action, -1.0, 1.0)

    return act
