"""The Meta-World tasks rrb-sim uses: family, novelty, success tolerance, shared scenes.

Plain data, no Meta-World import, so the labeller and its tests stay light.
The numbers are Meta-World v3's own success thresholds (``evaluate_state`` of
each env); ``tasks/rrb_sim/RUBRIC.md`` explains how the labeller uses them.
"""

from __future__ import annotations

from dataclasses import dataclass

# The 5 held-out tasks of Meta-World's ML45 benchmark: never in train or val.
UNSEEN_TASKS = ("bin-picking-v3", "box-close-v3", "hand-insert-v3", "door-lock-v3", "door-unlock-v3")

# family -> tasks. Families are the macro-averaging subsets of rrb-sim.
FAMILIES: dict[str, tuple[str, ...]] = {
    "reach": ("reach-v3", "reach-wall-v3"),
    "push": ("push-v3", "push-wall-v3", "push-back-v3", "soccer-v3", "coffee-push-v3", "coffee-pull-v3"),
    "slide": ("plate-slide-v3", "plate-slide-side-v3", "plate-slide-back-v3", "plate-slide-back-side-v3",
              "sweep-v3", "sweep-into-v3"),
    "pick-place": ("pick-place-v3", "pick-place-wall-v3", "pick-out-of-hole-v3", "bin-picking-v3",
                   "shelf-place-v3", "basketball-v3"),
    "articulated": ("drawer-open-v3", "drawer-close-v3", "door-open-v3", "door-close-v3",
                    "window-open-v3", "window-close-v3", "faucet-open-v3", "faucet-close-v3"),
    "press": ("button-press-v3", "button-press-wall-v3", "button-press-topdown-v3",
              "button-press-topdown-wall-v3", "coffee-button-v3", "handle-press-v3", "handle-press-side-v3"),
    "pull-turn": ("handle-pull-v3", "handle-pull-side-v3", "lever-pull-v3", "dial-turn-v3",
                  "door-lock-v3", "door-unlock-v3"),
    "tool": ("hammer-v3", "stick-push-v3", "stick-pull-v3"),
    "insert": ("assembly-v3", "disassemble-v3", "peg-insert-side-v3", "peg-unplug-side-v3",
               "box-close-v3", "hand-insert-v3"),
}

# Success tolerance of each task, in the unit of its goal distance (metres, or
# radians for lever-pull). Tasks not listed use 0.05.
_TOLERANCE = {
    "basketball-v3": 0.08, "bin-picking-v3": 0.05, "box-close-v3": 0.08, "button-press-topdown-v3": 0.024,
    "button-press-topdown-wall-v3": 0.024, "button-press-v3": 0.02, "button-press-wall-v3": 0.03,
    "coffee-button-v3": 0.02, "coffee-pull-v3": 0.07, "coffee-push-v3": 0.07, "dial-turn-v3": 0.07,
    "door-close-v3": 0.08, "door-lock-v3": 0.02, "door-open-v3": 0.08, "door-unlock-v3": 0.02,
    "drawer-close-v3": 0.065, "drawer-open-v3": 0.03, "faucet-close-v3": 0.07, "faucet-open-v3": 0.07,
    "hammer-v3": 0.0, "handle-press-side-v3": 0.02, "handle-press-v3": 0.02, "handle-pull-side-v3": 0.08,
    "handle-pull-v3": 0.05, "lever-pull-v3": 3.141592653589793 / 24, "peg-insert-side-v3": 0.07,
    "peg-unplug-side-v3": 0.07, "pick-out-of-hole-v3": 0.07, "pick-place-v3": 0.07,
    "pick-place-wall-v3": 0.07, "plate-slide-v3": 0.07, "plate-slide-side-v3": 0.07,
    "plate-slide-back-v3": 0.07, "plate-slide-back-side-v3": 0.07, "push-back-v3": 0.07,
    "push-v3": 0.05, "push-wall-v3": 0.07, "reach-v3": 0.05, "reach-wall-v3": 0.05,
    "shelf-place-v3": 0.07, "soccer-v3": 0.07, "stick-push-v3": 0.12, "sweep-into-v3": 0.05,
    "sweep-v3": 0.05, "window-close-v3": 0.05, "window-open-v3": 0.05, "assembly-v3": 0.02,
    "disassemble-v3": 0.0, "hand-insert-v3": 0.05,
}

# Tasks whose ``info["obj_to_target"]`` is not the distance their success
# predicate thresholds (always 0, or another distance): the goal distance is computed from state instead (see ``sim.envs.own_goal_distance``).
STATE_DISTANCE_TASKS = ("assembly-v3", "box-close-v3", "disassemble-v3", "door-open-v3", "hammer-v3",
                        "lever-pull-v3")

# The puck scene: same table, puck and goal marker. Under another task's
# instruction the predicate is a distance between (hand or puck) and the goal
# under that task's tolerance, plus how the puck must rest: lifted off the
# table for pick-place, resting on it for push (None: no requirement).
PUCK_SCENE: dict[str, tuple[str, float, str | None]] = {
    "push-v3": ("puck", 0.05, "on-table"),
    "pick-place-v3": ("puck", 0.07, "lifted"),
    "reach-v3": ("hand", 0.05, None),
}
PUCK_LIFTED = 0.02    # metres above its start: the puck is off the table
PUCK_ON_TABLE = 0.01  # metres above its start at most: the puck rests on the table

# Pairs that share a scene and ask for opposite changes: each task's start
# state is (up to randomisation) the other's goal state.
INVERSE_PAIRS = (
    ("drawer-open-v3", "drawer-close-v3"), ("door-open-v3", "door-close-v3"),
    ("window-open-v3", "window-close-v3"), ("faucet-open-v3", "faucet-close-v3"),
    ("door-lock-v3", "door-unlock-v3"), ("handle-press-v3", "handle-pull-v3"),
    ("handle-press-side-v3", "handle-pull-side-v3"), ("coffee-push-v3", "coffee-pull-v3"),
    ("plate-slide-v3", "plate-slide-back-v3"), ("plate-slide-side-v3", "plate-slide-back-side-v3"),
    ("assembly-v3", "disassemble-v3"),
)
# Under an inverse instruction the main object must stay within this many
# metres of where it started; further away, the requested change was undone.
INVERSE_TOLERANCE = 0.02

# Families where lifting the main object clear of its start is major progress.
LIFT_FAMILIES = ("pick-place", "tool", "insert")

# Policies whose scripted experts run on any scene's observation without error,
# used as the "other skill" on scenes that are not theirs.
OTHER_SKILLS = ("reach-v3", "push-v3", "pick-place-v3", "drawer-open-v3", "button-press-v3",
                "door-open-v3", "window-close-v3", "sweep-v3")


@dataclass(frozen=True)
class TaskInfo:
    """What rrb-sim knows about one Meta-World task."""

    name: str
    family: str
    novelty: str          # "seen" or "unseen" (an ML45 test task)
    tolerance: float

    @property
    def short(self) -> str:
        """The task name without its ``-v3`` suffix."""
        return self.name.removesuffix("-v3")


def _build() -> dict[str, TaskInfo]:
    table = {}
    for family, names in FAMILIES.items():
        for name in names:
            table[name] = TaskInfo(name=name, family=family,
                                   novelty="unseen" if name in UNSEEN_TASKS else "seen",
                                   tolerance=_TOLERANCE.get(name, 0.05))
    return table


TASKS: dict[str, TaskInfo] = _build()
ALL_TASKS: tuple[str, ...] = tuple(sorted(TASKS))
SEEN_TASKS: tuple[str, ...] = tuple(name for name in ALL_TASKS if name not in UNSEEN_TASKS)


def task_info(name: str) -> TaskInfo:
    """The catalog entry of ``name``; unknown names are an error naming the task."""
    from roboreward_bench.errors import DataError

    if name not in TASKS:
        raise DataError(f"unknown Meta-World task {name!r} (rrb-sim knows {len(TASKS)} v3 tasks)")
    return TASKS[name]


def inverse_of(name: str) -> str | None:
    """The task asking for the opposite change in the same scene, if any."""
    for a, b in INVERSE_PAIRS:
        if name == a:
            return b
        if name == b:
            return a
    return None


def counterfactual_tasks(name: str) -> tuple[str, ...]:
    """Instructions whose labels can be computed on this task's recorded states."""
    others: list[str] = []
    if name in PUCK_SCENE:
        others += [other for other in PUCK_SCENE if other != name]
    inverse = inverse_of(name)
    if inverse is not None:
        others.append(inverse)
    return tuple(others)
