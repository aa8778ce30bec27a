"""The rrb-libero rubric: a 1–5 label for every recorded frame under a goal, from predicates and geometry.

Pure functions over the worker's records, with no LIBERO import, so they are
unit-tested on hand-built states. A record holds, per shown frame, the truth
of every goal atom (LIBERO's own BDDL predicates), object and region
positions, and articulated joint values. ``tasks/rrb_libero/RUBRIC.md``
states the same rules in prose; the two must agree.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from roboreward_bench.libero.scene import category

NEAR_XY = 0.06            # m: object over the target (level 4 for a place atom)
NEAR_ABOVE = 0.10         # m: at most this high above the target's reference point (level 4)
MAJOR_WAY = 0.35          # fraction of the start distance covered toward the target (level 3)
DISPLACED = 0.01          # m: the object moved (level 2)
JOINT_NEAR = 0.75         # fraction of the way to the joint's goal value (level 4)
JOINT_MAJOR = 0.35        # (level 3)
JOINT_MOVED = 0.05        # (level 2): and at least JOINT_MIN_MOVE in joint units
JOINT_MIN_MOVE = 0.005

State = Mapping[str, Any]
Atom = Mapping[str, Any]


def _xy(a: Sequence[float], b: Sequence[float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def place_level(atom: Atom, key: str, now: State, start: State, sibling_keys: Sequence[str] = ()) -> int:
    """Level of an ``on``/``in`` atom: 5 holds, 4 over the target, 3 carried ≥ 35% of the way
    or a same-kind object placed instead, 2 displaced ≥ 1 cm, else 1."""
    if now["truth"][key]:
        return 5
    obj, target = atom["args"]
    p, p0, q = now["pos"][obj], start["pos"][obj], now["pos"][target]
    if _xy(p, q) <= NEAR_XY and 0.0 <= p[2] - q[2] <= NEAR_ABOVE and math.dist(p, p0) >= DISPLACED:
        return 4
    if any(now["truth"].get(k) and not start["truth"].get(k) for k in sibling_keys):
        return 3
    d0 = _xy(p0, start["pos"][target])
    if d0 > 0 and (d0 - _xy(p, q)) / d0 >= MAJOR_WAY:
        return 3
    if math.dist(p, p0) >= DISPLACED:
        return 2
    return 1


def joint_level(atom: Atom, key: str, now: State, start: State) -> int:
    """Level of an ``open``/``close``/``turnon``/``turnoff`` atom by the fraction of the way moved."""
    if now["truth"][key]:
        return 5
    name = atom["args"][0]
    q, q0, goal = now["joint"][name], start["joint"][name], atom["goal_q"]
    span = goal - q0
    if abs(span) < 1e-9:
        return 1
    way = (q - q0) / span
    if way >= JOINT_NEAR:
        return 4
    if way >= JOINT_MAJOR:
        return 3
    if way >= JOINT_MOVED and abs(q - q0) >= JOINT_MIN_MOVE:
        return 2
    return 1


def sibling_keys(atoms: Mapping[str, Atom], key: str) -> list[str]:
    """Atoms that ask the same of another object of the same kind (``bowl_2`` for ``bowl_1``)."""
    atom = atoms[key]
    if atom["pred"] not in ("on", "in"):
        return []
    obj, target = atom["args"]
    return [k for k, a in atoms.items() if k != key and a["pred"] == atom["pred"] and a["args"][1] == target
            and a["args"][0] != obj and category(a["args"][0]) == category(obj)]


def atom_level(atoms: Mapping[str, Atom], key: str, now: State, start: State) -> int:
    atom = atoms[key]
    if atom["pred"] in ("on", "in"):
        return place_level(atom, key, now, start, sibling_keys(atoms, key))
    return joint_level(atom, key, now, start)


def combine(levels: Sequence[int]) -> int:
    """A goal of several atoms: 5 all hold; with one done, 4 if the rest are at 4, else 3;
    with none done, at most 2 (3 when every atom shows major progress)."""
    if len(levels) == 1:
        return levels[0]
    if all(lvl == 5 for lvl in levels):
        return 5
    if any(lvl == 5 for lvl in levels):
        return 4 if all(lvl >= 4 for lvl in levels) else 3
    if all(lvl >= 3 for lvl in levels):
        return 3
    return min(2, max(levels))


def frame_labels(record: Mapping[str, Any], goal: str) -> list[int]:
    """The label of every recorded frame under ``goal`` (a key of ``record['goals']``)."""
    atoms, keys, states = record["atoms"], record["goals"][goal], record["states"]
    if not states:
        return []
    start = states[0]
    return [combine([atom_level(atoms, k, s, start) for k in keys]) for s in states]


def goal_held_at_start(record: Mapping[str, Any], goal: str) -> bool:
    """True when every atom of ``goal`` already holds in the first frame (its later 5s are ambiguous)."""
    first = record["states"][0]["truth"]
    return all(first[k] for k in record["goals"][goal])
