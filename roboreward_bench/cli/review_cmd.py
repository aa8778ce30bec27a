"""``rrbench review``: verify benchmark items by hand in the browser, one decision per item.

Forms::

    rrbench review DATASET [--split S] [--sample N] [--reviewer NAME] [--port P] [--host H]
    rrbench review stats DATASET
    rrbench review export DATASET --out NEW_FOLDER

DATASET is a registered task name or a dataset folder. The first word is read
as a subcommand only when it is ``stats`` or ``export`` and more arguments
follow (or no dataset of that name exists); a dataset folder called ``stats``
is reviewed with ``rrbench review ./stats``.
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from roboreward_bench.data.items import Item
from roboreward_bench.errors import DataError, RRBenchError
from roboreward_bench.tasks.spec import TaskSpec

SUBCOMMANDS = ("stats", "export")
HOST_ENV = "RRBENCH_REVIEW_HOST"


@dataclass(frozen=True)
class ReviewTarget:
    """A dataset resolved for review: its spec, folder and items (with ``require_verified`` ignored)."""

    spec: TaskSpec
    root: Path
    items: tuple[Item, ...]


def load_target(dataset: str, split: str | None, filter_split: bool = True) -> ReviewTarget:
    """Resolve DATASET (task name, task YAML or folder) and load every item, reviewed or not.

    ``split`` picks a folder's ``<split>/`` subfolder and, if ``filter_split``, keeps only that split's items.
    """
    from roboreward_bench.data.hub import split_folder
    from roboreward_bench.data.loading import load_spec_items
    from roboreward_bench.tasks.registry import resolve_spec

    folder = Path(dataset)
    if folder.is_dir():
        folder = split_folder(folder, split or "test") or folder
    spec = resolve_spec(str(folder) if folder.is_dir() else dataset)
    # Review must see every item, including those a require_verified task would not score yet.
    loaded = load_spec_items(spec.model_copy(update={"require_verified": False}))
    items = loaded.items
    if split is not None and filter_split:
        items = tuple(item for item in items if item.split == split)
        if not items:
            present = ", ".join(sorted({item.split for item in loaded.items}))
            raise DataError(f"{loaded.data_root}: no items in split {split!r} (splits present: {present})")
    return ReviewTarget(spec=spec, root=loaded.data_root, items=items)


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "reviewer"


def _names_a_dataset(text: str) -> bool:
    from roboreward_bench.tasks.registry import registered_tasks

    return Path(text).is_dir() or text in registered_tasks()


class ReviewGroup(click.Group):
    """``review DATASET`` serves the page; ``review stats|export DATASET`` are subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name in SUBCOMMANDS and (len(args) > 1 or not _names_a_dataset(name)):
            return super().resolve_command(ctx, args)
        return "serve", self.commands["serve"], args

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.commands["serve"].format_help(ctx, formatter)
        self.format_commands(ctx, formatter)


@click.group("review", cls=ReviewGroup, context_settings={"ignore_unknown_options": True})
def review_group() -> None:
    """Review benchmark items in the browser."""


_split_option = click.option("--split", help="Only items of this split (and a folder's <split>/ subfolder).")


@review_group.command("serve", hidden=True)
@click.argument("dataset")
@_split_option
@click.option("--sample", type=click.IntRange(min=1), help="Review a seeded random sample of N items.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --sample (same sample on resume).")
@click.option("--reviewer", default=_default_reviewer, show_default="your user name",
              help="Name recorded with every decision.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, envvar=HOST_ENV,
              help="Address to listen on; anything but loopback must be given here explicitly.")
@click.pass_context
def serve_command(ctx: click.Context, dataset: str, split: str | None, sample: int | None, seed: int,
                  reviewer: str, port: int, host: str) -> None:
    """Review DATASET (a task name or dataset folder) in the browser; decisions go to reviews.jsonl beside it.

    Keys: a accept, r reject, 1–5 set the label, n add a note, ←/→ previous/next item.
    Items this reviewer has already decided are skipped; items whose content changed since are shown again.
    """
    from roboreward_bench.review.server import ReviewServer, is_loopback
    from roboreward_bench.review.session import ReviewSession, sample_queue
    from roboreward_bench.data.reviews import ReviewLog, reviews_path

    if not reviewer.strip():
        raise RRBenchError("--reviewer must not be empty")
    if not is_loopback(host):
        if ctx.get_parameter_source("host") != click.core.ParameterSource.COMMANDLINE:
            raise RRBenchError(f"refusing to listen on non-loopback address {host!r} from ${HOST_ENV}; "
                               "pass --host explicitly to expose the review page to the network")
        click.echo(f"warning: listening on {host}, which is not loopback: anyone who can reach this machine "
                   "can see the items and record decisions", err=True)
    target = load_target(dataset, split)
    log = ReviewLog(reviews_path(target.root))
    session = ReviewSession(target.spec.name, sample_queue(target.items, sample, seed), log, reviewer.strip(),
                            target.spec.frames, target.spec.prompt)
    server = ReviewServer(session, host, port)
    pending = len(session.items) - session.reviewed_count()
    click.echo(f"reviewing {len(session.items)} items of {target.spec.name} as {session.reviewer} "
               f"({pending} to go); decisions go to {log.path}")
    click.echo(f"open {server.url}  (Ctrl-C stops; every decision is already saved)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


@review_group.command("stats")
@click.argument("dataset")
@_split_option
def stats_command(dataset: str, split: str | None) -> None:
    """Verified, rejected, relabelled and pending items per subset; agreement and Cohen's κ."""
    from roboreward_bench.data.content_hash import content_hashes
    from roboreward_bench.review.stats import format_stats, review_stats
    from roboreward_bench.data.reviews import read_reviews, reviews_path

    target = load_target(dataset, split)
    stats = review_stats(target.items, read_reviews(reviews_path(target.root)), content_hashes(target.items),
                         subset_key=target.spec.subset_key)
    click.echo(format_stats(stats, target.spec.name))


@review_group.command("export")
@click.argument("dataset")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="New dataset folder to write.")
@click.option("--split", help="For a folder with split subfolders: which one (default test).")
def export_command(dataset: str, out: Path, split: str | None) -> None:
    """Write a new dataset folder with relabels applied and rejected items dropped; print its task YAML."""
    from roboreward_bench.review.export import export_reviewed, next_version_yaml

    target = load_target(dataset, split, filter_split=False)  # rows of every split are exported
    report = export_reviewed(target.root, target.items, out)
    click.echo(f"wrote {report.out}: {report.kept} items ({report.relabelled} relabelled, "
               f"{report.pending} not yet reviewed), {report.dropped} rejected items dropped")
    hint = "" if target.spec.require_verified else \
        "# Add 'require_verified: true' to score only the items a reviewer accepted.\n"
    click.echo("\n# Task YAML for the new version (save it as a task file; the old version is unchanged).\n"
               + hint + next_version_yaml(target.spec, target.root, out), nl=False)
