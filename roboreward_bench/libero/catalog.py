"""The LIBERO tasks rrb-libero uses: suites, goals, held-out tasks, scene mates, instructions.

Plain data read from ``tasks.json`` (dumped from the BDDL files by
``catalog_dump``), so the labeller, the planner and their tests need no LIBERO.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from roboreward_bench.errors import RRBenchError

SUITES = ("spatial", "object", "goal", "10")
SKILLED_PREDICATES = ("on", "in")
# Held out of train and val with their scenes: the LIBERO-goal kitchen (one scene, ten goals)
# and the last three layouts of LIBERO-spatial and LIBERO-object.
UNSEEN = tuple(f"goal-{i}" for i in range(10)) + ("spatial-7", "spatial-8", "spatial-9",
                                                   "object-7", "object-8", "object-9", "10-9")


@dataclass(frozen=True)
class LiberoTask:
    """One LIBERO task: where it lives, its instruction and its goal atoms."""

    key: str                  # e.g. "goal-8"
    suite: str                # e.g. "libero_goal"
    index: int
    language: str
    goal: tuple[tuple[str, tuple[str, ...]], ...]
    objects: tuple[str, ...]
    fixtures: tuple[str, ...]

    @property
    def family(self) -> str:
        """The macro-averaging subset: the suite (spatial, object, goal, 10)."""
        return self.key.rsplit("-", 1)[0]

    @property
    def novelty(self) -> str:
        return "unseen" if self.key in UNSEEN else "seen"

    @property
    def skilled(self) -> bool:
        """Every predicate of the goal has a scripted skill."""
        return all(pred in SKILLED_PREDICATES for pred, _ in self.goal)

    def has_name(self, name: str) -> bool:
        """``name`` is an object, fixture or a region of one of them in this scene."""
        owners = self.objects + self.fixtures
        return name in owners or any(name.startswith(owner + "_") for owner in owners)


@lru_cache(maxsize=1)
def tasks() -> dict[str, LiberoTask]:
    raw = json.loads((Path(__file__).with_name("tasks.json")).read_text(encoding="utf-8"))
    return {key: LiberoTask(key=key, suite=v["suite"], index=int(v["index"]), language=v["language"],
                            goal=tuple((p, tuple(a)) for p, a in v["goal"]), objects=tuple(v["objects"]),
                            fixtures=tuple(v["fixtures"])) for key, v in raw.items()}


def task(key: str) -> LiberoTask:
    if key not in tasks():
        raise RRBenchError(f"unknown rrb-libero task {key!r} (known: suite-index, e.g. goal-8)")
    return tasks()[key]


def scene_mates(key: str) -> tuple[str, ...]:
    """Tasks of the same suite whose goal can be judged on this task's scene (all its names exist
    here) and differs from this task's goal: the counterfactual instructions."""
    own = task(key)
    mates = []
    for other in tasks().values():
        if other.key == key or other.suite != own.suite or set(other.goal) == set(own.goal):
            continue
        if all(own.has_name(name) for _pred, args in other.goal for name in args):
            mates.append(other.key)
    return tuple(sorted(mates))


_PICK = re.compile(r"^pick up the (?P<obj>.+?) and place it (?P<prep>on|in|into|onto) (?P<rest>.+)$")
_PUT = re.compile(r"^put (?P<what>.+?) (?P<prep>on|in|into|onto|on top of) (?P<rest>.+)$")


def instructions(key: str) -> tuple[str, ...]:
    """The task's instruction and its paraphrases (template 0 is LIBERO's own wording)."""
    lang = task(key).language.strip()
    forms = [lang]
    pick, put = _PICK.match(lang), _PUT.match(lang)
    if pick:
        forms += [f"pick up the {pick['obj']} and put it {pick['prep']} {pick['rest']}",
                  f"take the {pick['obj']} and set it {pick['prep']} {pick['rest']}"]
    elif put and " and " not in lang:
        forms += [f"place {put['what']} {put['prep']} {put['rest']}",
                  f"move {put['what']} so it ends up {put['prep']} {put['rest']}"]
    else:
        forms += [f"the robot should {lang}", f"your task: {lang}"]
    return tuple(f[0].upper() + f[1:] for f in forms)


def paraphrase_id(item_id: str, key: str) -> int:
    """A deterministic choice of template for an item."""
    return zlib.crc32(f"{item_id}|{key}".encode()) % len(instructions(key))


def instruction_text(key: str, template: int) -> str:
    return instructions(key)[template]
