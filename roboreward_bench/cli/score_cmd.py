"""``rrbench score``, ``rrbench show`` and ``rrbench merge``: work on saved outputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import click
from tabulate import tabulate

from roboreward_bench.cli.common import print_results, report_failures
from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.scoring import run_results, score_records
from roboreward_bench.results.predictions import PREDICTIONS_FILE, PredictionRecord, PredictionsWriter, read_predictions
from roboreward_bench.results.schema import RESULTS_FILE, ModelInfo, RunResults, load_results, schema_doc
from roboreward_bench.data.loading import LoadedTask, load_task


def rescore(task: LoadedTask, records: list[PredictionRecord], source: str, model: ModelInfo,
            frames: dict, seed: int, partial: bool = False, reparse: bool = True) -> RunResults:
    """Results for ``records`` against the task's own labels (all items, or only those present)."""
    if partial:
        present = {r.item_id for r in records}
        task = replace(task, items=tuple(i for i in task.items if i.item_id in present))
    report = score_records(task, records, source=source, reparse=reparse)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return run_results(task, report, model, frames, seed, now, now,
                       notes={"rescored_from": source, **({"partial": True} if partial else {})})


@click.command("score")
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--task", "task_name", required=True, help="Task whose labels to score against.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="The task's data folder, if not the default.")
@click.option("--partial", is_flag=True, help="Score only the items present (e.g. a --limit run).")
@click.option("--no-reparse", is_flag=True, help="Trust the saved parsed values instead of re-parsing raw text.")
@click.option("--output", type=click.Path(path_type=Path), help="Write results.json here.")
@click.option("--by-subset", is_flag=True, help="Also print the per-subset table.")
def score_command(predictions: Path, task_name: str, data_dir: Path | None, partial: bool, no_reparse: bool,
                  output: Path | None, by_subset: bool) -> None:
    """Recompute every metric from a predictions.jsonl, re-parsing raw text with the task's parser."""
    task = load_task(task_name, data_dir)
    records = read_predictions(predictions)
    model = ModelInfo(spec=f"predictions:{predictions}", resolved="predictions", fingerprint="")
    results = rescore(task, records, str(predictions), model, task.spec.frames.describe(), 0, partial,
                      reparse=not no_reparse)
    print_results(results, by_subset, dict(task.spec.subset_names))
    if output:
        from roboreward_bench.evaluation.preflight import os_problem

        try:
            results.write(output)
        except OSError as exc:
            raise os_problem(exc, output, "writing results.json") from None
        click.echo(f"\nwrote {output}")


@click.command("show")
@click.argument("results_file", required=False, type=click.Path(path_type=Path))
@click.option("--by-subset", is_flag=True, help="Also print the per-subset table.")
@click.option("--schema", is_flag=True, help="Print the documented results.json schema instead.")
def show_command(results_file: Path | None, by_subset: bool, schema: bool) -> None:
    """Print the tables of a results.json (or a run folder) again."""
    if schema:
        click.echo(tabulate(schema_doc(), headers=("field", "meaning")))
        return
    if results_file is None:
        raise RRBenchError("show: give a results.json (or a run folder), or --schema")
    path = results_file / RESULTS_FILE if results_file.is_dir() else results_file
    print_results(load_results(path), by_subset)


@click.command("merge")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output-dir", required=True, type=click.Path(path_type=Path), help="Where the merged run goes.")
@click.option("--task", "task_name", help="Task to score against (default: the one the shards ran).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="The task's data folder, if not the default.")
@click.option("--by-subset", is_flag=True, help="Also print the per-subset table.")
@click.option("--allow-errors", is_flag=True, help="Exit 0 even when some items failed.")
def merge_command(folders: tuple[Path, ...], output_dir: Path, task_name: str | None, data_dir: Path | None,
                  by_subset: bool, allow_errors: bool) -> None:
    """Combine shard folders into one run; refuses unless they cover the task exactly once.

    Like ``eval``, it lists the items that failed and exits 1 unless ``--allow-errors``.
    """
    from roboreward_bench.evaluation.merge import merge_shards
    from roboreward_bench.evaluation.preflight import make_output_folder, os_problem
    from roboreward_bench.evaluation.run_lock import RunLock

    merged = merge_shards(list(folders))
    first = load_results(Path(folders[0]) / RESULTS_FILE)
    task = load_task(task_name or merged.identity.get("task_ref") or merged.identity["task"], data_dir)
    if task.fingerprint != merged.identity["task_fingerprint"]:
        raise RRBenchError(f"merge: task {task.spec.name!r} changed since the shards ran (fingerprint differs)")
    if merged.identity.get("limit") is not None:
        task = replace(task, items=task.items[: merged.identity["limit"]])
    make_output_folder(output_dir)
    if (output_dir / PREDICTIONS_FILE).exists():
        raise RRBenchError(f"{output_dir}: already holds predictions; choose an empty folder")
    results = rescore(task, merged.records, f"merge of {len(folders)} shards", first.model, first.frames, first.seed)
    results = replace(results, non_standard=first.non_standard, deviations=first.deviations)
    try:
        with RunLock(output_dir), PredictionsWriter(output_dir / PREDICTIONS_FILE) as writer:
            writer.write_all(merged.records)
            results.write(output_dir / RESULTS_FILE)
    except OSError as exc:
        raise os_problem(exc, output_dir, "writing the merged run") from None
    print_results(results, by_subset)
    click.echo(f"\nwrote {output_dir / RESULTS_FILE}")
    report_failures([(r.item_id, r.error) for r in merged.records if r.error is not None], allow_errors)
