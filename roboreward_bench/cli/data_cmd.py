"""``rrbench data``: build, verify, summarise and preview benchmark data.

``build`` and ``verify``'s replay serve rrb-sim (the ``[sim]`` extra) and
rrb-libero (its managed LIBERO environment, see ``libero/environment.py``);
``stats``, ``preview`` and ``verify``'s hash check work on any task in the
local format.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from roboreward_bench.data.items import Item


GENERATOR = "rrb-sim"
GENERATORS = (GENERATOR, "rrb-libero")
_SHOWN = 30


@click.group("data")
def data_group() -> None:
    """Build, verify, summarise and preview benchmark data."""


@data_group.command("build")
@click.argument("name", type=click.Choice(GENERATORS))
@click.option("--split", type=click.Choice(["train", "val", "test", "dev"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Dataset folder to write (resumes if present).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--groups", type=click.IntRange(min=1), help="Groups (initial states) per task; default per split.")
@click.option("--tasks", help="Comma-separated tasks (Meta-World names, or rrb-libero keys such as goal-8).")
@click.option("--keep-records", is_flag=True, help="Keep the per-episode records in OUT/.build after a full build.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def build_command(name: str, split: str, out: Path, workers: int, groups: int | None, tasks: str | None,
                  keep_records: bool, no_progress: bool) -> None:
    """Generate a split of rrb-sim or rrb-libero deterministically from its seeds."""
    chosen = tuple(t.strip() for t in tasks.split(",") if t.strip()) if tasks else None
    if name == "rrb-libero":
        from roboreward_bench.cli.libero_build import build_libero

        build_libero(split, out, workers, groups, chosen, progress=not no_progress)
        return
    from roboreward_bench.sim.build import build_split

    report = build_split(split, out, workers=workers, groups_per_task=groups, tasks=chosen,
                         progress=not no_progress, keep_records=keep_records)
    click.echo(f"{name} {split}: {report.planned} episodes planned, {report.ran} generated, "
               f"{report.reused} reused; {report.items} items in {out} ({report.seconds:.0f} s)")
    for task, message in sorted(report.failed_tasks.items()):
        click.echo(f"skipped task {task}: {message}", err=True)
    if report.failed_tasks:
        sys.exit(1)


@data_group.command("verify")
@click.argument("task")
@click.option("--sample", type=click.IntRange(min=1), default=50, show_default=True, help="Episodes to replay.")
@click.option("--all", "replay_all", is_flag=True, help="Replay every episode.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for choosing the sample.")
@click.option("--no-progress", is_flag=True)
def verify_command(task: str, sample: int, replay_all: bool, seed: int, no_progress: bool) -> None:
    """Check files against SHA256SUMS and replay sampled episodes to compare per-frame labels."""
    from roboreward_bench.sim.verify import verify_dataset
    from roboreward_bench.data.loading import load_task

    loaded = load_task(task)
    report = verify_dataset(loaded.data_root, loaded.items, sample=None if replay_all else sample,
                            seed=seed, progress=not no_progress)
    if report.hash_problems:
        click.echo(f"SHA256SUMS: {len(report.hash_problems)} problem(s):")
        _echo_lines(report.hash_problems)
    else:
        click.echo(f"SHA256SUMS: {report.files_checked} files, all match")
    if report.episodes_checked or report.failed_tasks:  # rrb-sim replays
        if report.mismatches:
            click.echo(f"labels: {len(report.mismatches)} item(s) differ after replaying "
                       f"{report.episodes_checked} episodes:")
            _echo_lines(report.mismatches)
        else:
            click.echo(f"labels: {report.episodes_checked} episodes replayed, "
                       f"{report.items_checked} items, all frame labels identical")
        for name, message in sorted(report.failed_tasks.items()):
            click.echo(f"could not replay task {name}: {message}")
        if report.visible_share is not None:
            from roboreward_bench.sim.visibility import MIN_VISIBLE_PX, MIN_VISIBLE_SHARE

            verdict = "ok" if report.visible_share >= MIN_VISIBLE_SHARE else f"below {MIN_VISIBLE_SHARE:.0%}"
            click.echo(f"visibility: {len(report.visible_px)} items re-rendered, "
                       f"{report.visible_share:.1%} show >= {MIN_VISIBLE_PX} main-object px in their last frame "
                       f"({verdict})")
    libero_items = tuple(item for item in loaded.items if "libero_task" in item.metadata)
    libero_ok = True
    if libero_items:
        from roboreward_bench.cli.libero_build import verify_libero_items

        libero_ok = verify_libero_items(libero_items, None if replay_all else sample, seed)
    elif not (report.episodes_checked or report.failed_tasks):
        click.echo("labels: no simulator-generated items to replay")
    if not report.ok or not libero_ok:
        sys.exit(1)


def _echo_lines(lines: list[str]) -> None:
    for line in lines[:_SHOWN]:
        click.echo(f"  {line}")
    if len(lines) > _SHOWN:
        click.echo(f"  … and {len(lines) - _SHOWN} more")


@data_group.command("stats")
@click.argument("task")
def stats_command(task: str) -> None:
    """Counts per rubric level, subset, kind and split (and novelty where recorded)."""
    from roboreward_bench.data.loading import load_task
    from roboreward_bench.data.stats import stats_tables, summary_line

    loaded = load_task(task)
    click.echo(summary_line(loaded))
    for table in stats_tables(loaded):
        click.echo("\n" + table)
    _echo_visibility(loaded.items)


def _echo_visibility(items: tuple[Item, ...]) -> None:
    """The distribution of visible main-object pixels in items' last frames (rrb-sim v2 rows)."""
    import numpy as np

    from roboreward_bench.sim.visibility import MIN_VISIBLE_PX

    pixels = np.asarray([item.metadata["visible_px"] for item in items
                         if isinstance(item.metadata.get("visible_px"), int)])
    if pixels.size == 0:
        return
    p5, p25, p50 = np.percentile(pixels, [5, 25, 50])
    click.echo(f"\nvisible main-object px in the last frame shown ({pixels.size} items): "
               f"{(pixels >= MIN_VISIBLE_PX).mean():.1%} >= {MIN_VISIBLE_PX}; min {pixels.min()}, "
               f"p5 {p5:.0f}, p25 {p25:.0f}, median {p50:.0f}")


@data_group.command("preview")
@click.argument("task")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="PNG file to write.")
@click.option("--items", "count", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--frames", type=click.IntRange(min=1, max=16), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def preview_command(task: str, out: Path, count: int, frames: int, seed: int) -> None:
    """Draw a contact sheet: sampled frames of random items with instruction and label."""
    from roboreward_bench.sim.preview import contact_sheet
    from roboreward_bench.data.loading import load_task

    loaded = load_task(task)
    shown = contact_sheet(loaded.items, out, count=count, frames=frames, seed=seed)
    click.echo(f"wrote {out} ({shown} items)")


def _register_pull() -> None:
    from roboreward_bench.cli.audit_cmd import audit_command
    from roboreward_bench.cli.export_cmd import export_command, push_command
    from roboreward_bench.cli.pull_cmd import pull_command

    data_group.add_command(pull_command)
    data_group.add_command(export_command)
    data_group.add_command(push_command)
    data_group.add_command(audit_command)


_register_pull()
