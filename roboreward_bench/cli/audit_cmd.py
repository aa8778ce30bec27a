"""``rrbench data audit TASK``: shortcut probes, label shares, duplicates and clusters of a task."""

from __future__ import annotations

import json
import sys
import time

import click

from roboreward_bench.data.audit import FILE_CUES, LEAK_THRESHOLD, AuditReport

_SHOWN = 10


@click.command("audit")
@click.argument("task")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--cluster", help="Column to group cross-validation folds by (default: the spec's bootstrap.cluster).")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
def audit_command(task: str, as_json: bool, cluster: str | None, folds: int) -> None:
    """Can anything but the pixels predict TASK's labels? Exits 1 when a file property leaks them."""
    from roboreward_bench.data.audit import audit_items
    from roboreward_bench.data.loading import load_task

    started = time.perf_counter()
    loaded = load_task(task)
    key = cluster or loaded.spec.bootstrap.cluster
    report = audit_items(loaded.spec.name, loaded.items, loaded.spec.subset_key, key, folds=folds)
    seconds = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "seconds": round(seconds, 2)}, indent=1))
    else:
        _print(report, seconds)
    if report.leaks:
        sys.exit(1)


def _print(report: AuditReport, seconds: float) -> None:
    from tabulate import tabulate

    click.echo(f"{report.task}: {report.items} items, {report.clusters} clusters by {report.cluster_key} "
               f"(items per cluster min {report.cluster_sizes['min']}, median {report.cluster_sizes['median']:g}, "
               f"max {report.cluster_sizes['max']}), {report.folds}-fold CV grouped by {report.cluster_key}, "
               f"{seconds:.1f} s")
    for column, table in report.label_shares.items():
        rows = []
        for value, counts in table.items():
            total = sum(counts.values())
            rows.append([value, *(f"{100 * counts.get(lvl, 0) / total:.0f}%" for lvl in range(1, 6)), total])
        click.echo("\n" + tabulate(rows, headers=[f"label share by {column}", *map(str, range(1, 6)), "items"],
                                   tablefmt="github"))
    const = report.constant.mae_macro
    rows = [["best constant", 1, f"{const:.3f}", ""]]
    for probe in sorted(report.probes, key=lambda p: p.mae_macro):
        rows.append([" × ".join(probe.cues), probe.cells, f"{probe.mae_macro:.3f}", f"{const - probe.mae_macro:+.3f}"])
    click.echo("\n" + tabulate(rows, headers=["probe (no pixels)", "cells", "macro MAE", "gain vs constant"],
                               tablefmt="github"))
    gain_rows = [[cue, "file" if cue in FILE_CUES else "metadata", f"{gain:+.3f}", other]
                 for cue, (gain, other) in sorted(report.gains.items(), key=lambda kv: -kv[1][0])]
    click.echo("\n" + tabulate(gain_rows, headers=["cue", "kind of cue", "best gain over another cue", "over"],
                               tablefmt="github"))
    for cue, why in report.skipped_cues.items():
        click.echo(f"cue {cue} not probed: {why}")
    _groups("duplicate items (same video bytes, frames shown and instruction)", report.duplicate_items)
    _groups("byte-identical videos", report.identical_videos)
    cue, gain, other = report.worst_leak
    verdict = "LEAK" if report.leaks else "ok"
    if cue:
        click.echo(f"worst leak: {cue} improves macro MAE by {gain:+.3f} over {other} "
                   f"(threshold {LEAK_THRESHOLD}): {verdict}")
    else:
        click.echo("worst leak: no file cue varies between items: ok")


def _groups(title: str, groups: list[list[str]]) -> None:
    copies = sum(len(g) - 1 for g in groups)
    click.echo(f"\n{title}: {len(groups)} groups, {copies} copies")
    for group in groups[:_SHOWN]:
        click.echo("  " + ", ".join(group[:4]) + (f" … (+{len(group) - 4})" if len(group) > 4 else ""))
