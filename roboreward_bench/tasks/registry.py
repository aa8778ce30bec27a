"""Find tasks by name, YAML path or dataset folder, and load their items.

Registered tasks are the ``*.yaml`` files in the tasks directory: the repo's
top-level ``tasks/`` (or ``$RRBENCH_TASKS_DIR``). ``--task`` accepts a
registered name, a path to a task YAML, or a dataset folder in the local
format, which gets the default RoboReward spec.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from roboreward_bench.data.items import Item
from roboreward_bench.data.local import METADATA_FILE, load_local_dataset
from roboreward_bench.errors import TaskError, did_you_mean
from roboreward_bench.tasks.spec import TaskSpec, default_spec_for_folder, load_task_spec

MANIFEST_FILE = "SHA256SUMS"


def tasks_dir() -> Path:
    """The folder of registered task YAMLs."""
    configured = os.environ.get("RRBENCH_TASKS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "tasks"


def registered_tasks() -> dict[str, Path]:
    """Task name → YAML path for every registered task (names come from the files)."""
    found: dict[str, Path] = {}
    folder = tasks_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        found[load_task_spec(path).name] = path
    return found


@dataclass(frozen=True)
class LoadedTask:
    """A spec with its items, data folder and fingerprint.

    ``fingerprint`` is a SHA-256 over the canonical spec and the item manifest
    (``metadata.jsonl`` plus ``SHA256SUMS`` where the data ships one, else
    plus every video's size), so any change to labels, videos or protocol changes it.
    """

    spec: TaskSpec
    items: tuple[Item, ...]
    data_root: Path
    fingerprint: str
    missing_videos: tuple[str, ...] = ()
    data_revision: str | None = None
    notes: dict[str, str] = field(default_factory=dict)


def resolve_spec(text: str) -> TaskSpec:
    """Turn a ``--task`` value into a spec (without loading items)."""
    registered = registered_tasks()
    if text in registered:
        return load_task_spec(registered[text])
    path = Path(text)
    if path.suffix in (".yaml", ".yml"):
        return load_task_spec(path)
    if path.is_dir() and (path / METADATA_FILE).is_file():
        return default_spec_for_folder(path)
    if path.is_dir():
        raise TaskError(f"{path}: folder has no {METADATA_FILE}, so it is not a dataset in the local format")
    raise TaskError(f"unknown task {text!r}." + did_you_mean(text, sorted(registered))
                    + " Run 'rrbench tasks' for the list, or pass a task YAML or a dataset folder.")


def load_task(text: str, data_dir: Path | None = None) -> LoadedTask:
    """Resolve ``text`` and load its items; ``data_dir`` overrides where the data lives."""
    return load_spec_items(resolve_spec(text), data_dir)


def load_spec_items(spec: TaskSpec, data_dir: Path | None = None) -> LoadedTask:
    """Load the items of ``spec`` from its source (or from ``data_dir``)."""
    revision = None
    if data_dir is not None:
        root = Path(data_dir)
    elif spec.source.kind == "local":
        root = spec.source.path
    else:
        from roboreward_bench.data.hub import locate_snapshot

        root, revision = locate_snapshot(spec.source)
    dataset = load_local_dataset(root, default_split=spec.source.split)
    return LoadedTask(spec=spec, items=dataset.items, data_root=root,
                      fingerprint=task_fingerprint(spec, root, dataset.items),
                      missing_videos=dataset.missing_videos, data_revision=revision)


def task_fingerprint(spec: TaskSpec, root: Path, items: tuple[Item, ...]) -> str:
    """SHA-256 over the canonical spec and the data manifest."""
    digest = hashlib.sha256(json.dumps(spec.canonical(), sort_keys=True).encode())
    digest.update((root / METADATA_FILE).read_bytes())
    manifest = root / MANIFEST_FILE
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    else:
        for item in items:
            size = item.video_path.stat().st_size if item.video_path.is_file() else -1
            digest.update(f"{item.file_name}\0{size}\n".encode())
    return digest.hexdigest()
