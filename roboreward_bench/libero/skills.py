"""Scripted skills for LIBERO goal predicates, as phase machines over a scene snapshot.

Runs inside the LIBERO environment (numpy only, no rrbench imports beyond this
package). A :class:`Snapshot` is what the worker reads from the simulator each
step; a skill turns it into a 7-D OSC_POSE delta action (xyz, rotation,
gripper −1 open / +1 close). Geometry comes from the recorded bounding boxes,
so one rule serves every object: small objects are grasped from the top at
their centre, wide ones (bowls, plates) at the rim nearest the robot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

OPEN, CLOSE = -1.0, 1.0
GAIN = 12.0            # action per metre of position error (1.0 = the controller's 5 cm step)
SPAN = 0.075           # m: objects at most this deep along y fit between the open fingers (they close along y)
REACHED = 0.012        # metres: a waypoint counts as reached
PHASE_TIMEOUT = 40     # steps: a descent blocked by contact ends here (close, or release) rather than stall
CARRY_CLEARANCE = 0.12


@dataclass
class Box:
    """A world-frame axis-aligned bounding box: centre and half sizes."""

    center: np.ndarray
    half: np.ndarray

    @property
    def top(self) -> float:
        return float(self.center[2] + self.half[2])

    @property
    def depth_y(self) -> float:
        return float(2 * self.half[1])


@dataclass
class Snapshot:
    """The simulator as a skill sees it in one step."""

    eef: np.ndarray
    grip: float                      # finger opening (m)
    pos: dict[str, np.ndarray]       # body or site name -> position
    boxes: dict[str, Box]            # body name -> bounding box (this step)
    joints: dict[str, float] = field(default_factory=dict)


def move_action(eef: np.ndarray, target: np.ndarray, gripper: float, limit: float = 1.0) -> np.ndarray:
    """A P-controlled step toward ``target`` with the gripper command ``gripper``."""
    delta = np.clip(GAIN * (np.asarray(target) - eef), -limit, limit)
    return np.concatenate([delta, np.zeros(3), [gripper]])


class PickPlace:
    """Pick ``obj`` and release it above ``target`` (a body or a site)."""

    def __init__(self, obj: str, target: str, inside: bool, release_at: float | None = None) -> None:
        self.obj, self.target, self.inside = obj, target, inside
        self.phase = 0
        self.count = 0
        self.in_phase = 0
        self.grasp_offset: np.ndarray | None = None
        self.release_at = release_at   # fraction of the carry at which the gripper opens (released-early)

    def _grasp_point(self, snap: Snapshot) -> np.ndarray:
        box = snap.boxes[self.obj]
        center = box.center.copy()
        if box.depth_y > SPAN:  # a rim, on the −y side: the fingers close along y, across the wall
            center[1] -= box.half[1] - 0.015
            center[2] = box.top - 0.025
        else:
            center[2] = box.top - min(0.03, box.half[2])
        return center

    def _place_point(self, snap: Snapshot, carried: np.ndarray) -> np.ndarray:
        target = snap.pos[self.target].copy()
        box = snap.boxes.get(self.target)
        surface = box.top if box is not None else float(target[2])
        if box is not None and self.inside:
            surface = box.top - 0.02
        lift_above_bottom = carried[2] - (snap.boxes[self.obj].center[2] - snap.boxes[self.obj].half[2])
        point = target + (self.grasp_offset if self.grasp_offset is not None else 0.0)
        point[2] = surface + lift_above_bottom + 0.015
        return point

    def act(self, snap: Snapshot) -> np.ndarray:
        before = self.phase
        action = self._act(snap)
        self.in_phase = self.in_phase + 1 if self.phase == before else 0
        return action

    def _act(self, snap: Snapshot) -> np.ndarray:
        eef = snap.eef
        if self.phase == 0:   # above the grasp point
            goal = self._grasp_point(snap) + [0, 0, 0.10]
            if np.linalg.norm(goal - eef) < REACHED * 2:
                self.phase = 1
            return move_action(eef, goal, OPEN)
        if self.phase == 1:   # down to it
            goal = self._grasp_point(snap)
            if np.linalg.norm(goal - eef) < REACHED or self.in_phase >= PHASE_TIMEOUT:
                self.phase, self.count = 2, 0
                self.grasp_offset = eef - snap.boxes[self.obj].center
                self.grasp_offset[2] = 0.0
            return move_action(eef, goal, OPEN, limit=0.5)
        if self.phase == 2:   # close
            self.count += 1
            if self.count > 12:
                self.phase = 3
            return move_action(eef, eef, CLOSE)
        if self.phase == 3:   # lift
            carry_z = max(snap.pos[self.target][2], self._place_point(snap, eef)[2]) + CARRY_CLEARANCE
            goal = np.array([eef[0], eef[1], carry_z])
            if abs(goal[2] - eef[2]) < REACHED * 2:
                self.phase = 4
                self.start = eef.copy()
            return move_action(eef, goal, CLOSE)
        if self.phase == 4:   # carry above the target
            place = self._place_point(snap, eef)
            goal = np.array([place[0], place[1], eef[2]])
            if self.release_at is not None:
                done = 1 - np.linalg.norm(goal[:2] - eef[:2]) / max(1e-6, np.linalg.norm(goal[:2] - self.start[:2]))
                if done >= self.release_at:
                    self.phase = 7
            if np.linalg.norm(goal - eef) < REACHED:
                self.phase = 5
            return move_action(eef, goal, CLOSE)
        if self.phase == 5:   # lower
            goal = self._place_point(snap, eef)
            goal = np.array([goal[0], goal[1], goal[2]])
            if np.linalg.norm(goal - eef) < REACHED or self.in_phase >= PHASE_TIMEOUT:
                self.phase, self.count = 6, 0
            return move_action(eef, goal, CLOSE, limit=0.4)
        if self.phase == 6:   # release
            self.count += 1
            if self.count > 8:
                self.phase = 7
            return move_action(eef, eef, OPEN)
        # retreat upward and hold
        return move_action(eef, np.array([eef[0], eef[1], max(eef[2], 1.15)]), OPEN, limit=0.5)
