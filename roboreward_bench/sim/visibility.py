"""Is the decisive object visible? Segmentation pixel counts and the per-episode camera choice.

The main object (Meta-World's ``obs[4:7]``: puck, handle, nut, lid, …) is the
body of the scene geom nearest that point in the episode's first frame, plus
any body with a geom within ``NEAR`` of it; its visible pixels are counted with MuJoCo's segmentation rendering,
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
# The robot, the table and the walls are never the main object.
_ROBOT_BODIES = frozenset({"hand", "rightclaw", "leftclaw", "rightpad", "leftpad", "mocap", "tablelink",
                           "RetainingWall"})


def _is_scene_object(model, body: int) -> bool:
    name = model.body(body).name
    return body != 0 and name not in _ROBOT_BODIES and not name.startswith("right_")


def main_object_geoms(model, data, obj_pos: Sequence[float]) -> frozenset[int]:
    """Geoms of the bodies that make up the main object (call with the first frame's state): the
    body of the scene geom nearest ``obj_pos`` (a handle's site can sit a few cm off its geoms),
    and every body with a geom within ``NEAR`` of it."""
    centre = np.asarray(obj_pos, dtype=float)
    candidates = [(float(np.linalg.norm(data.geom_xpos[g] - centre)), int(model.geom_bodyid[g]))
                  for g in range(model.ngeom) if _is_scene_object(model, int(model.geom_bodyid[g]))]
    if not candidates:
        return frozenset()
    bodies = {min(candidates)[1]} | {body for dist, body in candidates if dist <= NEAR}
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
