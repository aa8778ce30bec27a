"""The rubric from simulator state: a 1–5 label for every frame under an instruction.

Pure functions over recorded numbers, with no Meta-World import: a rollout
records one :class:`StepState` per step, and the labeller maps the states of
an episode to labels for the episode's own task or for a counterfactual
instruction. ``tasks/rrb_sim/RUBRIC.md`` states the same rules in prose; the
two must agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from roboreward_bench.sim.catalog import (
    INVERSE_TOLERANCE, LIFT_FAMILIES, PUCK_LIFTED, PUCK_ON_TABLE, PUCK_SCENE, inverse_of, task_info,
)

Vec = tuple[float, float, float]

# Fractions of the way from the start to the success boundary.
NEAR_PROGRESS = 0.75      # level 4
MAJOR_PROGRESS = 0.35     # level 3
SMALL_PROGRESS = 0.10     # level 2
LIFT_MAJOR = 0.03         # metres the main object is raised: major progress in lift families
NUDGE = 0.01              # metres the main object moved: a small goal-relevant change in the scene


@dataclass(frozen=True)
class StepState:
    """What the simulator says about one step of an episode.

    ``success`` and ``goal_dist`` are the episode task's own predicate and goal
    distance; ``hand``, ``obj`` and ``goal`` are the gripper centre, the main
    object and the goal position, for rules of other instructions.
    """

    success: bool
    goal_dist: float
    hand: Vec
    obj: Vec
    goal: Vec

    def to_list(self) -> list:
        return [int(self.success), self.goal_dist, *self.hand, *self.obj, *self.goal]

    @classmethod
    def from_list(cls, values: Sequence[float]) -> "StepState":
        v = [float(x) for x in values]
        return cls(bool(v[0]), v[1], (v[2], v[3], v[4]), (v[5], v[6], v[7]), (v[8], v[9], v[10]))


@dataclass(frozen=True)
class Measure:
    """What a rule sees in one frame for one instruction."""

    success: bool
    dist: float           # remaining distance to the instruction's goal
    moved: float          # how far the main object is from where it started (m)
    lift: float           # height of the main object above its start (m)


@dataclass(frozen=True)
class Rule:
    """A family's rule: the success tolerance and which object cues count."""

    tolerance: float
    object_cues: bool = True      # moving the main object (or its joint) is goal-relevant
    lift_is_major: bool = False   # raising the main object is major progress


def level(rule: Rule, now: Measure, start: Measure) -> int:
    """The 1–5 label of one frame (``now``) given the episode's first frame (``start``)."""
    if now.success:
        return 5
    if start.success or start.dist <= rule.tolerance:
        return 1  # the goal held at the start and the robot undid it: no change toward it
    progress = (start.dist - now.dist) / (start.dist - rule.tolerance)
    if progress >= NEAR_PROGRESS:
        return 4
    if progress >= MAJOR_PROGRESS or (rule.lift_is_major and now.lift >= LIFT_MAJOR):
        return 3
    if progress >= SMALL_PROGRESS:
        return 2
    # v2: the gripper merely coming close changes nothing in the scene, so it is not progress.
    if rule.object_cues and now.moved >= NUDGE:
        return 2
    return 1


def rule_for(task: str) -> Rule:
    """The rule of ``task``'s family."""
    info = task_info(task)
    return Rule(tolerance=info.tolerance, object_cues=info.family != "reach",
                lift_is_major=info.family in LIFT_FAMILIES)


def _dist(a: Vec, b: Vec) -> float:
    return math.dist(a, b)


def _measure(instruction: str, episode_task: str, state: StepState, first: StepState) -> Measure:
    moved = _dist(state.obj, first.obj)
    lift = state.obj[2] - first.obj[2]
    if instruction == episode_task:
        return Measure(state.success, state.goal_dist, moved, lift)
    if instruction in PUCK_SCENE and episode_task in PUCK_SCENE:
        mover, tolerance, rest = PUCK_SCENE[instruction]
        dist = _dist(state.hand if mover == "hand" else state.obj, state.goal)
        resting_ok = (rest is None or (rest == "lifted" and lift >= PUCK_LIFTED)
                      or (rest == "on-table" and lift <= PUCK_ON_TABLE))
        return Measure(dist <= tolerance and resting_ok, dist, moved, lift)
    if inverse_of(episode_task) == instruction:
        dist = toward_episode_goal(state, first)
        return Measure(dist <= INVERSE_TOLERANCE, dist, moved, lift)
    raise ValueError(f"no rule computes {instruction!r} on states of {episode_task!r}")


def toward_episode_goal(state: StepState, first: StepState) -> float:
    """How far the main object has moved toward the episode task's goal (m, never negative).

    The inverse instruction asks for the opposite change, so its goal region is
    everything at or beyond the start on the far side from the episode's goal:
    moving the object further that way keeps the inverse goal held (v1 wrongly
    called that 1); moving it toward the episode's goal undoes it.
    """
    axis = [g - o for g, o in zip(first.goal, first.obj)]
    norm = math.hypot(*axis)
    if norm < 1e-6:
        return _dist(state.obj, first.obj)
    return max(0.0, sum((s - o) * a for s, o, a in zip(state.obj, first.obj, axis)) / norm)


def inverse_rule() -> Rule:
    """Under an inverse instruction the goal is the start state, within INVERSE_TOLERANCE."""
    return Rule(tolerance=INVERSE_TOLERANCE)


def label_states(instruction: str, episode_task: str, states: Sequence[StepState]) -> list[int]:
    """Labels of every state of an episode of ``episode_task`` under ``instruction``'s task."""
    if not states:
        return []
    is_inverse = instruction != episode_task and inverse_of(episode_task) == instruction
    rule = inverse_rule() if is_inverse else rule_for(instruction)
    start = _measure(instruction, episode_task, states[0], states[0])
    return [level(rule, _measure(instruction, episode_task, s, states[0]), start) for s in states]


def goal_held_at_start(instruction: str, episode_task: str, states: Sequence[StepState]) -> bool:
    """True when ``instruction``'s goal already holds in the first state (its later 5s are ambiguous)."""
    start = _measure(instruction, episode_task, states[0], states[0])
    is_inverse = instruction != episode_task and inverse_of(episode_task) == instruction
    tolerance = INVERSE_TOLERANCE if is_inverse else task_info(instruction).tolerance
    return start.success or start.dist <= tolerance
