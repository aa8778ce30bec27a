"""The rrb-libero side of ``rrbench data build``: run the build and print its report."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def build_libero(split: str, out: Path, workers: int, groups: int | None, tasks: tuple[str, ...] | None,
                 progress: bool) -> None:
    """Build ``split`` of rrb-libero into ``out`` (resumes); exit 1 when tasks were skipped."""
    from roboreward_bench.libero.build import build_split

    report = build_split(split, out, workers=workers, groups_per_task=groups, tasks=tasks, progress=progress,
                         log=click.echo)
    state = f"{report.items} items in {out}" if report.complete else "incomplete (run again to resume)"
    click.echo(f"rrb-libero {split}: {report.planned} episodes planned, {report.ran} generated, "
               f"{report.reused} reused; {state} ({report.seconds:.0f} s)")
    for task, message in sorted(report.failed_tasks.items()):
        click.echo(f"skipped task {task}: {message}", err=True)
    if report.failed_tasks or not report.complete:
        sys.exit(1)
