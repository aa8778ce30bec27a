"""``rrbench eval``."""

from __future__ import annotations

from pathlib import Path

import click

from roboreward_bench.cli.common import print_results, report_failures
from roboreward_bench.evaluation.evaluate import DEFAULT_OUTPUT_ROOT, EvalConfig, evaluate
from roboreward_bench.evaluation.selection import parse_shard
from roboreward_bench.models.registry import parse_model_args

DEFAULT_TASK = "rrb-sim"


@click.command("eval")
@click.option("--task", "task", default=DEFAULT_TASK, show_default=True,
              help="Registered task name, path to a task YAML, or a dataset folder (metadata.jsonl + videos).")
@click.option("--model", "model", required=True, help="Model spec: alias, random, constant:<k>, majority, hf:<dir|id>, openai:<name>.")
@click.option("--model-args", default="", help="Comma-separated key=value settings for the model, e.g. batch_size=4.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Use the task's data from this folder.")
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N items (a smoke test).")
@click.option("--num-frames", type=click.IntRange(min=1), help="Override the task's frame count (flags the run non-standard).")
@click.option("--output-dir", type=click.Path(path_type=Path), help="Where to write; default is derived from task, model and settings.")
@click.option("--output-root", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT_ROOT, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for baselines (per item).")
@click.option("--shard", help="Evaluate shard i/n of the items (combine with 'rrbench merge').")
@click.option("--fresh", is_flag=True, help="Discard earlier predictions in the output folder and start over.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the response cache.")
@click.option("--cache-path", type=click.Path(path_type=Path), help="Response cache file (SQLite).")
@click.option("--by-subset", is_flag=True, help="Also print the per-subset table.")
@click.option("--allow-errors", is_flag=True, help="Exit 0 even when some items failed.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def eval_command(task: str, model: str, model_args: str, data_dir: Path | None, limit: int | None,
                 num_frames: int | None, output_dir: Path | None, output_root: Path, seed: int, shard: str | None,
                 fresh: bool, no_cache: bool, cache_path: Path | None, by_subset: bool, allow_errors: bool,
                 no_progress: bool) -> None:
    """Evaluate a reward model on a task and write predictions.jsonl and results.json."""
    config = EvalConfig(task=task, model=model, model_args=parse_model_args(model_args), data_dir=data_dir,
                        limit=limit, num_frames=num_frames, output_dir=output_dir, output_root=output_root,
                        seed=seed, shard=parse_shard(shard), fresh=fresh, use_cache=not no_cache,
                        cache_path=cache_path, progress=not no_progress, allow_errors=allow_errors)
    outcome = evaluate(config)
    print_results(outcome.results, by_subset)
    click.echo(f"\nwrote {outcome.output_dir / 'results.json'} and predictions.jsonl")
    report_failures(outcome.errors, allow_errors)
