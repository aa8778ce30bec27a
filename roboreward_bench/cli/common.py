"""Small helpers shared by CLI commands."""

from __future__ import annotations

import sys
from typing import Sequence

import click

from roboreward_bench.results.schema import RunResults
from roboreward_bench.results.tables import headline_table, subset_table, summary_line


def print_results(results: RunResults, by_subset: bool, names: dict[str, str] | None = None) -> None:
    """Print the summary line, the headline table and optionally the subset table."""
    click.echo(summary_line(results))
    click.echo(headline_table(results))
    reasons = results.notes.get("invalid_by_reason") or {}
    if reasons:
        click.echo("invalid answers by reason: " + "; ".join(f"{why}: {n}" for why, n in reasons.items()))
    if by_subset:
        click.echo("")
        click.echo(subset_table(results, names=names))


_ERRORS_SHOWN = 20


def report_failures(errors: Sequence[tuple[str, str]], allow_errors: bool) -> None:
    """List items that got no answer (on stderr) and exit 1 unless ``allow_errors``."""
    if not errors:
        return
    click.echo(f"\n{len(errors)} item(s) failed and were scored with the maximum penalty "
               "(run the same command again to retry them):", err=True)
    for item_id, message in errors[:_ERRORS_SHOWN]:
        click.echo(f"  {item_id}: {message}", err=True)
    if len(errors) > _ERRORS_SHOWN:
        click.echo(f"  … and {len(errors) - _ERRORS_SHOWN} more (see predictions.jsonl)", err=True)
    if not allow_errors:
        sys.exit(1)
