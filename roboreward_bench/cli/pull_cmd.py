"""``rrbench data pull``: download a hub task's data split."""

from __future__ import annotations

from pathlib import Path

import click

from roboreward_bench.errors import TaskError
from roboreward_bench.tasks.registry import resolve_spec


@click.command("pull")
@click.argument("task")
@click.option("--revision", help="Dataset revision (default: the task's pinned one).")
@click.option("--local-dir", type=click.Path(path_type=Path), help="Download here instead of the HF cache.")
def pull_command(task: str, revision: str | None, local_dir: Path | None) -> None:
    """Download only the task's split from the Hugging Face Hub (uses HF_TOKEN where set)."""
    from roboreward_bench.data.hub import pull_snapshot

    spec = resolve_spec(task)
    if spec.source.kind != "hf":
        raise TaskError(f"task {spec.name!r} has local data ({spec.source.path}); there is nothing to pull")
    folder, sha = pull_snapshot(spec.source, revision, local_dir)
    click.echo(f"{spec.name}: {spec.source.repo}@{sha} {spec.source.split} split in {folder}")
    if local_dir is not None:
        click.echo(f"use it with: rrbench eval --task {spec.name} --data-dir {local_dir}")
