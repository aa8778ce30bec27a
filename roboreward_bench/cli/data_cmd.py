"""``rrbench data``: build, verify, summarise and preview benchmark data.

``build`` and ``verify``'s replay are rrb-sim's (they need the ``[sim]``
extra); ``stats``, ``preview`` and ``verify``'s hash check work on any task
in the local format.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from roboreward_bench.data.items import Item
from roboreward_bench.data.local import METADATA_FILE
from roboreward_bench.rubric import LABELS

GENERATOR = "rrb-sim"
_SHOWN = 30


@click.group("data")
def data_group() -> None:
    """Build, verify, summarise and preview benchmark data."""


@data_group.command("build")
@click.argument("name", type=click.Choice([GENERATOR]))
@click.option("--split", type=click.Choice(["train", "val", "test", "dev"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Dataset folder to write (resumes if present).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--groups", type=click.IntRange(min=1), help="Groups (initial states) per task; default per split.")
@click.option("--tasks", help="Comma-separated Meta-World tasks (default: the split's tasks).")
@click.option("--keep-records", is_flag=True, help="Keep the per-episode records in OUT/.build after a full build.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def build_command(name: str, split: str, out: Path, workers: int, groups: int | None, tasks: str | None,
                  keep_records: bool, no_progress: bool) -> None:
    """Generate a split of rrb-sim deterministically from its seeds."""
    from roboreward_bench.sim.build import build_split

    chosen = tuple(t.strip() for t in tasks.split(",") if t.strip()) if tasks else None
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
    if report.episodes_checked or report.failed_tasks:
        if report.mismatches:
            click.echo(f"labels: {len(report.mismatches)} item(s) differ after replaying "
                       f"{report.episodes_checked} episodes:")
            _echo_lines(report.mismatches)
        else:
            click.echo(f"labels: {report.episodes_checked} episodes replayed, "
                       f"{report.items_checked} items, all frame labels identical")
        for name, message in sorted(report.failed_tasks.items()):
            click.echo(f"could not replay task {name}: {message}")
    else:
        click.echo("labels: no simulator-generated items to replay")
    if not report.ok:
        sys.exit(1)


def _echo_lines(lines: list[str]) -> None:
    for line in lines[:_SHOWN]:
        click.echo(f"  {line}")
    if len(lines) > _SHOWN:
        click.echo(f"  … and {len(lines) - _SHOWN} more")


def _field(item: Item, key: str) -> str:
    value = getattr(item, key, None) if key in Item.__dataclass_fields__ else item.metadata.get(key)
    return "—" if value is None else str(value)


def _cross_table(items: tuple[Item, ...], key: str) -> str:
    from tabulate import tabulate

    counts: Counter[tuple[str, int]] = Counter((_field(item, key), item.label) for item in items)
    rows = []
    for value in sorted({k for k, _ in counts}):
        row = [counts[(value, lvl)] for lvl in LABELS]
        rows.append([value, *row, sum(row)])
    totals = [sum(counts[(v, lvl)] for v in {k for k, _ in counts}) for lvl in LABELS]
    rows.append(["all", *totals, sum(totals)])
    return tabulate(rows, headers=[key, *map(str, LABELS), "items"], tablefmt="github")


@data_group.command("stats")
@click.argument("task")
def stats_command(task: str) -> None:
    """Counts per rubric level, subset, kind and split (and novelty where recorded)."""
    from tabulate import tabulate

    from roboreward_bench.data.loading import load_task

    loaded = load_task(task)
    items = loaded.items
    videos = {item.video_path for item in items}
    size = sum(p.stat().st_size for p in videos if p.is_file()) + (loaded.data_root / METADATA_FILE).stat().st_size
    from roboreward_bench.data.reviews import verified_share

    click.echo(f"{loaded.spec.name}: {len(items)} items, {len({i.episode_id for i in items})} episodes, "
               f"{len(videos)} videos, {size / 1e6:.1f} MB, "
               f"{100 * verified_share(loaded.data_root, items):.1f}% human-verified (rrbench review)")
    levels = Counter(item.label for item in items)
    click.echo("\n" + tabulate([[lvl, levels[lvl], f"{100 * levels[lvl] / len(items):.1f}%"] for lvl in LABELS],
                               headers=["level", "items", "share"], tablefmt="github"))
    keys = [loaded.spec.subset_key, "kind", "split"]
    if any("novelty" in item.metadata for item in items):
        keys.append("novelty")
    for key in dict.fromkeys(keys):
        click.echo("\n" + _cross_table(items, key))


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
    from roboreward_bench.cli.pull_cmd import pull_command

    data_group.add_command(pull_command)


_register_pull()
