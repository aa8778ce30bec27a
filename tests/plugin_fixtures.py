"""Install a third-party plugin as pip would leave it: a module plus a dist-info folder with entry_points.txt."""

from __future__ import annotations

import os
from pathlib import Path


def install_plugin(root: Path, module: str, source: str, entry_points: dict[str, list[str]]) -> dict[str, str]:
    """Write ``module.py`` and its dist-info into ``root``; returns the env that puts ``root`` on sys.path.

    ``entry_points`` maps a group (``rrbench.models``) to ``name = module:object`` lines.
    """
    (root / f"{module}.py").write_text(source)
    dist = root / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("".join(f"[{group}]\n" + "".join(line + "\n" for line in lines)
                                                   for group, lines in entry_points.items()))
    return {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
