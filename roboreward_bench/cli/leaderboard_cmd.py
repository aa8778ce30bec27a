"""``rrbench submit``, ``rrbench validate`` and ``rrbench leaderboard build|table``."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from roboreward_bench.errors import RRBenchError

DEFAULT_ROOT = Path("submissions")
DEFAULT_SITE = Path("leaderboard/site")

_root_option = click.option("--root", type=click.Path(path_type=Path), default=DEFAULT_ROOT, show_default=True,
                            help="The submissions folder (submissions/<task>/<org>__<model>/).")
_tasks_option = click.option("--tasks-dir", type=click.Path(path_type=Path, file_okay=False),
                             help="Resolve task names among the YAMLs of this folder instead of the registered tasks.")


_cache_option = click.option("--no-cache", is_flag=True,
                             help="Re-score every submission, ignoring the re-scoring cache ($RRBENCH_CACHE_DIR/leaderboard).")


def _catalog(tasks_dir: Path | None):
    from roboreward_bench.leaderboard.catalog import TaskCatalog

    return TaskCatalog(tasks_dir)


def _cache(no_cache: bool):
    from roboreward_bench.leaderboard.rescore_cache import RescoreCache, default_cache_dir

    return None if no_cache else RescoreCache(default_cache_dir())


def _summary(checked) -> str:
    meta = checked.meta
    if meta is None:
        return ""
    if checked.report is not None:
        metric = checked.report.overall.get("mae_macro")
        shown = "–" if metric is None or metric.value is None else f"{metric.value:.3f}"
        return f"verified, macro MAE {shown} re-scored from {checked.report.counts.get('items', 0)} items"
    return f"{meta.kind}"


def _report(results) -> int:
    """Print one line per problem (or an ok line per folder); return the number of failing folders."""
    failed = 0
    for checked in results:
        if checked.ok:
            click.echo(f"ok    {checked.folder}  ({_summary(checked)})")
            continue
        failed += 1
        label = "STALE" if checked.stale else "UNKNOWN VERSION" if checked.unknown_version else "FAIL"
        click.echo(f"{label:<5} {checked.folder}")
        for problem in checked.problems:
            click.echo(f"  {problem}")
    return failed


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_root_option
@_tasks_option
@_cache_option
@click.option("--schema", "print_schema", is_flag=True, help="Print the JSON Schema of submission.yaml and exit.")
def validate_command(paths: tuple[Path, ...], root: Path, tasks_dir: Path | None, no_cache: bool,
                     print_schema: bool) -> None:
    """Check submission folders (all of them when no PATHS are given) and re-score every prediction.

    Prints one line per problem; exits 1 if any folder fails or is stale.
    """
    if print_schema:
        from roboreward_bench.leaderboard.schema import json_schema

        click.echo(json.dumps(json_schema(), indent=2))
        return
    from roboreward_bench.leaderboard.validate import validate_all

    results = validate_all(list(paths), root, _catalog(tasks_dir), _cache(no_cache))
    failed = _report(results)
    click.echo(f"\n{len(results) - failed} of {len(results)} submission(s) valid")
    if failed:
        sys.exit(1)


@click.command("submit")
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--org", "organisation", required=True, help="Organisation that made the model.")
@click.option("--name", required=True, help="Display name of the model.")
@click.option("--contact", required=True,
              help="E-mail or GitHub handle for the maintainers' questions; not published unless --public-contact.")
@click.option("--public-contact", is_flag=True, help="Show the contact on the model page.")
@click.option("--weights", type=click.Choice(["open", "closed"]), help="Open (downloadable) or closed (API) weights.")
@click.option("--params-b", "parameters_b", type=click.FloatRange(min=0), help="Parameter count in billions.")
@click.option("--link", help="http(s) page of the model.")
@click.option("--paper", help="http(s) link to a paper about the model.")
@click.option("--bibtex", "bibtex_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="File with the model's BibTeX entry.")
@click.option("--notes", help="One short note shown on the model page.")
@click.option("--date", "on", help="Submission date YYYY-MM-DD (default today).")
@_root_option
@_tasks_option
@click.option("--force", is_flag=True, help="Replace an existing submission folder of the same name.")
@click.option("--no-validate", is_flag=True, help="Do not validate the new folder.")
def submit_command(run_dir: Path, organisation: str, name: str, contact: str, public_contact: bool,
                   weights: str | None,
                   parameters_b: float | None, link: str | None, paper: str | None, bibtex_file: Path | None,
                   notes: str | None, on: str | None, root: Path, tasks_dir: Path | None, force: bool,
                   no_validate: bool) -> None:
    """Make submissions/<task>/<org>__<model>/ from the run folder RUN_DIR, then validate it."""
    from roboreward_bench.leaderboard.submit import SubmitOptions, write_submission
    from roboreward_bench.leaderboard.validate import validate_all

    bibtex = bibtex_file.read_text(encoding="utf-8").strip() if bibtex_file else None
    options = SubmitOptions(organisation=organisation, name=name, weights=weights, parameters_b=parameters_b,
                            link=link, contact=contact, public_contact=public_contact, paper=paper, bibtex=bibtex,
                            notes=notes, on=on)
    folder = write_submission(run_dir, root, options, force=force)
    click.echo(f"wrote {folder}")
    if no_validate:
        return
    if _report(validate_all([folder], root, _catalog(tasks_dir), _cache(False))):
        sys.exit(1)
    click.echo(f"\nNext: open a pull request that adds {folder}/")


@click.group("leaderboard")
def leaderboard_group() -> None:
    """Build the static leaderboard site or print a citable table."""


def _boards(root: Path, tasks_dir: Path | None, paths: list[Path], rank_reported: bool, skip_invalid: bool,
            no_cache: bool, catalog=None):
    from roboreward_bench.leaderboard.board import build_boards
    from roboreward_bench.leaderboard.snapshot import snapshot_of
    from roboreward_bench.leaderboard.validate import validate_all

    catalog = catalog or _catalog(tasks_dir)
    checked = validate_all(paths, root, catalog, _cache(no_cache))
    for entry in (c for c in checked if c.unknown_version):  # never shown, never fatal to the build
        click.echo(f"rrbench: warning: leaving out {entry.folder}: {entry.problems[-1]}", err=True)
    checked = [c for c in checked if not c.unknown_version]
    broken = [c for c in checked if not c.ok and not c.stale]
    for entry in broken:
        for problem in entry.problems:
            click.echo(f"rrbench: {'skipping' if skip_invalid else 'invalid'}: {problem}", err=True)
    if broken and not skip_invalid:
        raise RRBenchError(f"{len(broken)} submission(s) failed validation (run 'rrbench validate'); "
                           "pass --skip-invalid to leave them out")
    return build_boards(checked, catalog, include_reported=rank_reported, snapshot=snapshot_of(root))


_rank_reported_option = click.option("--rank-reported", is_flag=True,
                                     help="Rank reported rows and include them in win rates (off by default).")


@leaderboard_group.command("build")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_SITE, show_default=True)
@_root_option
@_tasks_option
@_rank_reported_option
@_cache_option
@click.option("--skip-invalid", is_flag=True, help="Leave out submissions that fail validation instead of stopping.")
def build_command(out: Path, root: Path, tasks_dir: Path | None, rank_reported: bool, no_cache: bool,
                  skip_invalid: bool) -> None:
    """Validate every submission and render the static site into OUT."""
    from roboreward_bench.leaderboard.site import build_site

    started = time.perf_counter()
    boards = _boards(root, tasks_dir, [], rank_reported, skip_invalid, no_cache)
    summary = build_site(boards, out)
    elapsed = time.perf_counter() - started
    click.echo(f"built {summary.pages} pages for {summary.rows} rows on {summary.boards} task(s) in {elapsed:.2f}s; "
               f"index.html {summary.index_bytes / 1024:.0f} KiB → {out / 'index.html'}")


@leaderboard_group.command("table")
@click.option("--task", required=True, help="Registered task name.")
@click.option("--format", "fmt", type=click.Choice(["latex", "markdown", "csv", "json"]), default="markdown",
              show_default=True)
@_root_option
@_tasks_option
@_rank_reported_option
@_cache_option
@click.option("--no-reported", is_flag=True, help="Leave reported rows out of the table.")
@click.option("--compact", is_flag=True,
              help="LaTeX: model, headline with CI and 3 more columns, for one column (\\columnwidth).")
@click.option("--bib", is_flag=True, help="Print the BibTeX the table cites (rrbench and its cited rows) instead.")
def table_command(task: str, fmt: str, root: Path, tasks_dir: Path | None, rank_reported: bool, no_cache: bool,
                  no_reported: bool, compact: bool, bib: bool) -> None:
    """Print the citable table of TASK, with 95% CIs and the leaderboard snapshot, from the re-scored submissions."""
    from roboreward_bench.leaderboard.latex import bib_entries
    from roboreward_bench.leaderboard.tables import format_table

    folder = root / task
    if not folder.is_dir():
        raise RRBenchError(f"{folder}: no submissions for task {task!r}")
    boards = _boards(root, tasks_dir, [folder], rank_reported, skip_invalid=False, no_cache=no_cache)
    if not boards:
        raise RRBenchError(f"{folder}: no valid submissions for task {task!r}")
    board = boards[0]
    if no_reported:
        board = replace(board, rows=tuple(r for r in board.rows if not r.reported))
    click.echo(bib_entries(board) if bib else format_table(board, fmt, compact=compact), nl=False)


@leaderboard_group.command("export")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for one <task>.parquet per task.")
@_root_option
@_tasks_option
@_cache_option
def export_command(out: Path, root: Path, tasks_dir: Path | None, no_cache: bool) -> None:
    """Write every verified submission's per-item scored rows, one Parquet file per task (needs pyarrow)."""
    from roboreward_bench.leaderboard.export import export_details

    started = time.perf_counter()
    catalog = _catalog(tasks_dir)
    boards = _boards(root, tasks_dir, [], rank_reported=False, skip_invalid=True, no_cache=no_cache, catalog=catalog)
    written = export_details(boards, root, out, catalog)
    for path, rows in written:
        click.echo(f"wrote {path} ({rows:,} rows)")
    click.echo(f"exported {len(written)} task(s) in {time.perf_counter() - started:.2f}s")
