"""Find tasks by name, YAML path or dataset folder, and load their items.

Registered tasks are the ``*.yaml`` files in the tasks directory: the repo's
top-level ``tasks/`` (or ``$RRBENCH_TASKS_DIR``). ``--task`` accepts a
registered name, a path to a task YAML, or a dataset folder in the local
format, which gets the default RoboReward spec. Loading a task's items is the
data stage's job: :func:`roboreward_bench.data.loading.load_task`.
"""

from __future__ import annotations

import os
from pathlib import Path

from roboreward_bench.errors import TaskError, did_you_mean
from roboreward_bench.tasks.spec import (METADATA_FILE, TaskSpec, default_spec_for_folder, load_task_spec,
                                         protocol_of_folder)


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


def resolve_spec(text: str) -> TaskSpec:
    """Turn a ``--task`` value into a spec (without loading items)."""
    registered = registered_tasks()
    if text in registered:
        return load_task_spec(registered[text])
    path = Path(text)
    if path.suffix in (".yaml", ".yml"):
        return load_task_spec(path)
    if path.is_dir() and (path / METADATA_FILE).is_file():
        return default_spec_for_folder(path, protocol_of_folder(path))
    if path.is_dir():
        raise TaskError(f"{path}: folder has no {METADATA_FILE}, so it is not a dataset in the local format")
    raise TaskError(f"unknown task {text!r}." + did_you_mean(text, sorted(registered))
                    + " Run 'rrbench tasks' for the list, or pass a task YAML or a dataset folder.")


