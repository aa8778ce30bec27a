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


def verify_libero_items(items, sample: int | None, seed: int) -> bool:
    """Replay rrb-libero episodes, print label and visibility results; True when all is well."""
    from roboreward_bench.libero.verify import MIN_VISIBLE_PIXELS, MIN_VISIBLE_SHARE, verify_libero

    report = verify_libero(items, sample, seed)
    if report.mismatches:
        click.echo(f"labels: {len(report.mismatches)} item(s) differ after replaying "
                   f"{report.episodes_checked} LIBERO episodes:")
        for line in report.mismatches[:30]:
            click.echo(f"  {line}")
    else:
        click.echo(f"labels: {report.episodes_checked} LIBERO episodes replayed, {report.items_checked} items, "
                   "all frame labels identical")
    click.echo(f"visibility: {100 * report.visible_share:.1f}% of items show every decisive object with "
               f">= {MIN_VISIBLE_PIXELS} px in their last frame (needs >= {100 * MIN_VISIBLE_SHARE:.0f}%)")
    for name, message in sorted(report.failed_tasks.items()):
        click.echo(f"could not replay task {name}: {message}")
    return not report.mismatches and not report.failed_tasks and report.visible_share >= MIN_VISIBLE_SHARE
