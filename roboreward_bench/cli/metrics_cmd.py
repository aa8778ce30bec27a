"""``rrbench metrics``: the metric catalogue."""

from __future__ import annotations

import click
from tabulate import tabulate


def _range(low: float | None, high: float | None) -> str:
    return f"[{low:g}, " + ("∞)" if high is None else f"{high:g}]")


@click.command("metrics")
@click.option("--format", "fmt", type=click.Choice(["table", "names"]), default="table",
              help="a table, or one metric name per line")
def metrics_command(fmt: str) -> None:
    """List every metric: built-in and from plugins (entry-point group rrbench.metrics)."""
    from roboreward_bench.metrics.catalogue import catalogue

    metrics = catalogue()
    if fmt == "names":
        click.echo("\n".join(m.name for m in metrics))
        return
    rows = [(m.name, m.label, m.group, m.direction, _range(*m.range),
             "yes" if m.ci else "no", m.protocol) for m in metrics]
    click.echo(tabulate(rows, headers=("metric", "label", "group", "better", "range", "CI", "protocol")))
