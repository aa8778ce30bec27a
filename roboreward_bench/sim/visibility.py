"""Is the decisive object visible? Segmentation pixel counts and the per-episode camera choice.

The main object (Meta-World's ``obs[4:7]``: puck, handle, nut, lid, …) is the
set of bodies with a geom within ``NEAR`` of that point in the episode's first
frame; its visible pixels are counted with MuJoCo's segmentation rendering,
so an arm in front of the object hides it. The build renders every episode
from the candidate camera that shows the object best in the frames items end on.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

# Orbit cameras look at the midpoint of the main object's start and the goal
# from ORBIT_DISTANCE metres (Meta-World's fixed corner cameras sit about twice
# as far, where a puck is 30–90 px at 320 px): azimuth in degrees in the name.
# Names read "orbit<azimuth>" or "orbit<azimuth>e<elevation>" (degrees).
CANDIDATE_CAMERAS = ("orbit0", "orbit135", "orbit180")
ORBIT_DISTANCE = 0.8
ORBIT_ELEVATION = -35.0
MIN_VISIBLE_PX = 100      # an item's last frame must show at least this many object pixels ...
MIN_VISIBLE_SHARE = 0.95  # ... in at least this share of items
NEAR = 0.05               # metres from obs[4:7] to a geom centre of the main object
_NOT_OBJECTS = ("claw", "pad", "hand", "right_", "tablelink", "RetainingWall", "world")


def main_object_geoms(model, data, obj_pos: Sequence[float]) -> frozenset[int]:
    """Geoms of the bodies that make up the main object (call with the first frame's state)."""
    centre = np.asarray(obj_pos, dtype=float)
    bodies = set()
    for geom in range(model.ngeom):
        body = int(model.geom_bodyid[geom])
        name = model.body(body).name
        if body == 0 or any(part in name for part in _NOT_OBJECTS):
            continue
        if np.linalg.norm(data.geom_xpos[geom] - centre) <= NEAR:
            bodies.add(body)
    return frozenset(g for g in range(model.ngeom) if int(model.geom_bodyid[g]) in bodies)


def choose_camera(pixels: dict[str, list[int]]) -> str:
    """The camera whose worst end frame shows the most object pixels (ties: the larger mean)."""
    return max(pixels, key=lambda cam: (min(pixels[cam]), float(np.mean(pixels[cam])), cam))


def make_camera(name: str, obj: Sequence[float], goal: Sequence[float]):
    """A named Meta-World camera (returned as its name) or an orbit camera aimed between the
    first frame's main object ``obj`` and ``goal``."""
    if not name.startswith("orbit"):
        return name
    import mujoco

    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.lookat[:] = (np.asarray(obj, dtype=float) + np.asarray(goal, dtype=float)) / 2.0
    camera.distance = ORBIT_DISTANCE
    azimuth, _, elevation = name.removeprefix("orbit").partition("e")
    camera.azimuth = float(azimuth)
    camera.elevation = float(elevation) if elevation else ORBIT_ELEVATION
    return camera
