"""Reading a LIBERO scene: goal atoms, snapshots and joint goals (runs inside the LIBERO environment).

An *atom* is one BDDL goal predicate with its arguments, keyed like
``on(akita_black_bowl_1,plate_1)``. The worker evaluates every atom with
LIBERO's own predicate functions and records the geometry the labeller needs.
"""

from __future__ import annotations

import re

import numpy as np

from roboreward_bench.libero.skills import Box, Snapshot

PLACE_PREDICATES = ("on", "in")
JOINT_PREDICATES = ("open", "close", "turnon", "turnoff")
_RANGE_KEY = {"open": "default_open_ranges", "close": "default_close_ranges",
              "turnon": "default_turnon_ranges", "turnoff": "default_turnoff_ranges"}


def atom_key(pred: str, args: list[str]) -> str:
    return f"{pred.lower()}({','.join(args)})"


def goal_atoms(goal_state: list) -> list[tuple[str, list[str]]]:
    """The atoms of a parsed BDDL goal (a list of ``[pred, *args]``, conjunction implied)."""
    atoms = []
    for entry in goal_state:
        if entry and isinstance(entry[0], str) and entry[0].lower() == "and":
            atoms += goal_atoms(entry[1:])
        else:
            atoms.append((entry[0].lower(), [str(a) for a in entry[1:]]))
    return atoms


def category(name: str) -> str:
    """``akita_black_bowl_2`` -> ``akita_black_bowl``: instances of one kind share it."""
    return re.sub(r"_\d+$", "", name)


def siblings(inner, name: str) -> list[str]:
    """Other movable objects of the same kind as ``name`` in the scene."""
    return [o for o in inner.objects_dict if o != name and category(o) == category(name)]


_GEOMS: dict[tuple[int, int], list[int]] = {}


def _collision_geoms(model, body_id: int) -> list[int]:
    """Collision geoms of ``body_id`` and its descendants (cached per model and body)."""
    key = (id(model), body_id)
    if key not in _GEOMS:
        geoms = []
        for g in range(model.ngeom):
            b = model.geom_bodyid[g]
            while b not in (0, body_id):
                b = model.body_parentid[b]
            if b == body_id and (model.geom_contype[g] or model.geom_conaffinity[g]):
                geoms.append(g)
        _GEOMS[key] = geoms
    return _GEOMS[key]


def _body_box(model, data, body_id: int) -> Box:
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for g in _collision_geoms(model, body_id):
        center, half = model.geom_aabb[g][:3], model.geom_aabb[g][3:]
        rot = data.geom_xmat[g].reshape(3, 3)
        world_half = np.abs(rot) @ half
        world_center = data.geom_xpos[g] + rot @ center
        lo = np.minimum(lo, world_center - world_half)
        hi = np.maximum(hi, world_center + world_half)
    if not np.all(np.isfinite(lo)):
        pos = data.body_xpos[body_id].copy()
        return Box(pos, np.full(3, 0.02))
    return Box((lo + hi) / 2, (hi - lo) / 2)


def joint_object(inner, name: str):
    """(the articulated object that owns ``name``'s joints, its joint names)."""
    if name in inner.object_sites_dict:
        site = inner.object_sites_dict[name]
        parent = name.rsplit("_", 2)[0] if not hasattr(site, "parent_name") else site.parent_name
        return inner.get_object(parent), list(site.joints)
    obj = inner.get_object(name)
    return obj, list(obj.joints)


def joint_value(inner, name: str) -> float:
    _obj, joints = joint_object(inner, name)
    sim = inner.sim
    return float(sim.data.qpos[sim.model.get_joint_qpos_addr(joints[0])])


def joint_goal(inner, pred: str, name: str, start: float) -> float:
    """The joint value where ``pred`` starts to hold: the range end nearest the start value."""
    obj, _joints = joint_object(inner, name)
    ends = obj.object_properties["articulation"][_RANGE_KEY[pred]]
    return float(min(ends, key=lambda v: abs(v - start)))


def position(inner, name: str) -> np.ndarray:
    if name in inner.obj_body_id:
        return inner.sim.data.body_xpos[inner.obj_body_id[name]].copy()
    return inner.sim.data.get_site_xpos(name).copy()


class _LazyBoxes(dict):
    """Bounding boxes of bodies, computed on first use in a step (a skill needs two or three)."""

    def __init__(self, inner) -> None:
        super().__init__()
        self._inner = inner

    def __missing__(self, name: str) -> Box:
        inner = self._inner
        box = _body_box(inner.sim.model._model, inner.sim.data._data, inner.obj_body_id[name])
        self[name] = box
        return box

    def get(self, name, default=None):
        return self[name] if name in self._inner.obj_body_id else default


def snapshot(inner, obs: dict, names: list[str]) -> Snapshot:
    """The skill's view: end effector, finger opening, positions of ``names`` and boxes of bodies."""
    grip = obs["robot0_gripper_qpos"]
    return Snapshot(eef=np.asarray(obs["robot0_eef_pos"], dtype=float), grip=float(grip[0] - grip[1]),
                    pos={n: position(inner, n) for n in names}, boxes=_LazyBoxes(inner))


def evaluate(inner, pred: str, args: list[str]) -> bool:
    return bool(inner._eval_predicate([pred, *args]))


def owner_body(inner, name: str) -> str | None:
    """The object or fixture body that ``name`` is (or whose region it is)."""
    if name in inner.obj_body_id:
        return name
    owners = [o for o in inner.obj_body_id if name.startswith(o + "_")]
    return max(owners, key=len) if owners else None


_ALL_GEOMS: dict[tuple[int, int], set[int]] = {}


def _subtree_geoms(model, body_id: int) -> set[int]:
    key = (id(model), body_id)
    if key not in _ALL_GEOMS:
        found = set()
        for g in range(model.ngeom):
            b = model.geom_bodyid[g]
            while b not in (0, body_id):
                b = model.body_parentid[b]
            if b == body_id:
                found.add(g)
        _ALL_GEOMS[key] = found
    return _ALL_GEOMS[key]


def visible_pixels(inner, names: list[str], camera: str, size: int) -> dict[str, int]:
    """Pixels of each named object (or a region's owner) in a segmentation render from ``camera``."""
    seg = inner.sim.render(width=size, height=size, camera_name=camera, segmentation=True)
    geom_ids = seg[..., 1][seg[..., 0] == 5]            # mjOBJ_GEOM
    counts = np.bincount(geom_ids[geom_ids >= 0], minlength=inner.sim.model.ngeom)
    model = inner.sim.model._model
    found = {}
    for name in names:
        body = owner_body(inner, name)
        if body is None:
            continue
        geoms = _subtree_geoms(model, inner.obj_body_id[body])
        found[name] = int(sum(counts[g] for g in geoms))
    return found
