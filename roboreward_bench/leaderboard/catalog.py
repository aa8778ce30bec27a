"""Which tasks submissions may name, loaded once per validation run.

Submissions name a task; they never give a path. Names resolve among the
registered tasks (``tasks/*.yaml``), or among the YAMLs of ``tasks_dir`` when
one is given (tests, or a checkout's own ``tasks/`` in CI).
"""

from __future__ import annotations

from pathlib import Path

from roboreward_bench.errors import RRBenchError, TaskError, did_you_mean
from roboreward_bench.data.loading import LoadedTask, load_spec_items
from roboreward_bench.tasks.registry import registered_tasks
from roboreward_bench.tasks.spec import TaskSpec, load_task_spec


class TaskCatalog:
    """Registered task names → specs, and items loaded lazily and cached."""

    def __init__(self, tasks_dir: Path | None = None) -> None:
        self._tasks_dir = tasks_dir
        self._paths: dict[str, Path] | None = None
        self._specs: dict[str, TaskSpec] = {}
        self._loaded: dict[str, LoadedTask | RRBenchError] = {}

    def names(self) -> dict[str, Path]:
        """Task name → YAML path."""
        if self._paths is None:
            if self._tasks_dir is None:
                self._paths = registered_tasks()
            else:
                self._paths = {load_task_spec(p).name: p for p in sorted(Path(self._tasks_dir).glob("*.yaml"))}
        return self._paths

    def spec(self, name: str) -> TaskSpec:
        """The current spec of a registered task, without loading its items."""
        if name not in self._specs:
            paths = self.names()
            if name not in paths:
                raise TaskError(f"unknown task {name!r}." + did_you_mean(name, sorted(paths))
                                + f" Registered tasks: {', '.join(sorted(paths)) or 'none'}")
            self._specs[name] = load_task_spec(paths[name])
        return self._specs[name]

    def load(self, name: str) -> LoadedTask:
        """The task with its items (labels), loaded once; errors are cached too."""
        if name not in self._loaded:
            try:
                self._loaded[name] = load_spec_items(self.spec(name))
            except RRBenchError as exc:
                self._loaded[name] = exc
        loaded = self._loaded[name]
        if isinstance(loaded, RRBenchError):
            raise loaded
        return loaded
