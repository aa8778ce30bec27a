"""Small helpers shared by CLI commands."""

from __future__ import annotations

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
