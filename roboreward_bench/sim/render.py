"""Offscreen MuJoCo rendering: EGL with an OSMesa fallback, fast settings, upright frames.

MuJoCo picks its GL backend from ``MUJOCO_GL`` when it is first imported, so
the backend is chosen before any MuJoCo import: a user's ``MUJOCO_GL`` wins,
else EGL is probed in a subprocess and OSMesa is the fallback.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import weakref

from roboreward_bench.errors import RRBenchError

_PROBE = ("import mujoco; c = mujoco.GLContext(32, 32); c.make_current(); c.free()")
BACKENDS = ("egl", "osmesa")


def _backend_works(backend: str) -> bool:
    env = dict(os.environ, MUJOCO_GL=backend, PYOPENGL_PLATFORM=backend)
    try:
        result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def choose_gl_backend() -> str:
    """Set ``MUJOCO_GL``/``PYOPENGL_PLATFORM`` for this process and its children; return the backend."""
    chosen = os.environ.get("MUJOCO_GL")
    if not chosen:
        chosen = next((b for b in BACKENDS if _backend_works(b)), None)
        if chosen is None:
            raise RRBenchError("no offscreen OpenGL for MuJoCo: neither EGL nor OSMesa works "
                               "(install libegl1 or libosmesa6, or set MUJOCO_GL)")
        os.environ["MUJOCO_GL"] = chosen
    if chosen in BACKENDS:
        os.environ.setdefault("PYOPENGL_PLATFORM", chosen)
    return chosen


_LIVE: "weakref.WeakSet[FastRenderer]" = weakref.WeakSet()
_EXIT_HOOKED = False


def _track(renderer: "FastRenderer") -> None:
    # MuJoCo registers its EGL teardown when the first context is made; a hook
    # registered after it runs before it, so contexts are freed while EGL is up.
    global _EXIT_HOOKED
    _LIVE.add(renderer)
    if not _EXIT_HOOKED:
        atexit.register(_close_all)
        _EXIT_HOOKED = True


def _close_all() -> None:
    for renderer in list(_LIVE):
        renderer.close()


class FastRenderer:
    """Renders one env's model at ``size`` px with shadows, reflections and MSAA off."""

    def __init__(self, model, size: int) -> None:
        import mujoco

        model.vis.quality.offsamples = 0
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, size)
        model.vis.global_.offheight = max(model.vis.global_.offheight, size)
        self._renderer = mujoco.Renderer(model, size, size)
        _track(self)
        flags = self._renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0

    def frame(self, data, camera):
        """An upright RGB frame (uint8 HWC) of ``data`` seen from ``camera`` (a name or an MjvCamera)."""
        self._renderer.update_scene(data, camera=camera)
        image = self._renderer.render()
        # Meta-World's named cameras are mounted upside down; free cameras are not.
        return image[::-1].copy() if isinstance(camera, str) else image

    def visible_pixels(self, data, camera, geoms: frozenset[int]) -> int:
        """How many pixels of ``geoms`` the camera sees (MuJoCo segmentation: occlusion counts)."""
        import mujoco
        import numpy as np

        self._renderer.enable_segmentation_rendering()
        try:
            self._renderer.update_scene(data, camera=camera)
            seg = self._renderer.render()
        finally:
            self._renderer.disable_segmentation_rendering()
        is_geom = seg[..., 1] == int(mujoco.mjtObj.mjOBJ_GEOM)
        return int((is_geom & np.isin(seg[..., 0], list(geoms))).sum())

    def close(self) -> None:
        try:
            self._renderer.close()
        except Exception:  # noqa: BLE001 - a GL context torn down at exit is not worth a traceback
            pass
