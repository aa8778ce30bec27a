"""``rrbench tasks``: the registered tasks with their versions and item counts."""

from __future__ import annotations

import click
from tabulate import tabulate

from roboreward_bench.errors import RRBenchError
from roboreward_bench.data.loading import load_spec_items
from roboreward_bench.tasks.registry import registered_tasks
from roboreward_bench.tasks.spec import load_task_spec


@click.command("tasks")
def tasks_command() -> None:
    """List registered tasks: name, version, items, source and description."""
    rows = []
    for name, path in registered_tasks().items():
        spec = load_task_spec(path)
        try:
            items: object = len(load_spec_items(spec).items)
        except RRBenchError as exc:
            items = f"not available ({str(exc).splitlines()[0][:60]})"
        source = spec.source.repo if spec.source.kind == "hf" else str(path.parent.name + "/" + path.name)
        rows.append((name, spec.version, items, source, spec.description.splitlines()[0] if spec.description else ""))
    click.echo(tabulate(rows, headers=("task", "version", "items", "source", "description")))
