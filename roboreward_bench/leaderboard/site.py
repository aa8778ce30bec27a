"""``rrbench leaderboard build``: render the boards to a static site.

The site is plain files that work from any web host or straight from disk
(``file://``): no CDN, no fetch at view time, every asset local. Templates
are jinja2 with autoescaping on, so every string from a submission is
escaped; a Content-Security-Policy allows scripts only from the site's own
``assets/site.js``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from roboreward_bench import __version__
from roboreward_bench.errors import RRBenchError
from roboreward_bench.leaderboard import charts, metric_facts, tables
from roboreward_bench.leaderboard.board import SIZE_BUCKETS, BoardRow, TaskBoard
from roboreward_bench.leaderboard.citation import RRBENCH_BIBTEX
from roboreward_bench.metrics.catalogue import catalogue

MARKER = ".rrbench-site"
ASSETS = ("site.css", "site.js")


@dataclass(frozen=True)
class SiteSummary:
    """What a build wrote."""

    out: Path
    pages: int
    index_bytes: int
    boards: int
    rows: int


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("roboreward_bench.leaderboard", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v, digits=3: "–" if v is None else f"{v:.{digits}f}"
    env.filters["sortkey"] = lambda v: "" if v is None else repr(float(v))
    env.globals.update(version=__version__, size_buckets=SIZE_BUCKETS, columns=tables.board_columns,
                       label=metric_facts.label, arrow=metric_facts.arrow,
                       lower_is_better=metric_facts.lower_is_better, ci_scale=ci_scale, ci_bar=charts.ci_bar_svg,
                       comparison=comparison)
    return env


def prepare_output(out: Path) -> None:
    """Empty ``out`` if it is an earlier build (it has the marker); refuse any other non-empty folder."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise RRBenchError(f"{out}: not empty and not an rrbench site build; refusing to overwrite it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("built by rrbench leaderboard build; this folder is replaced on every build\n")


def model_page_path(board: TaskBoard, row: BoardRow) -> str:
    return f"models/{board.name}/{row.slug}.html"


def ci_scale(board: TaskBoard) -> tuple[float, float]:
    """The common scale of a board's CI bars: from the lowest CI bound to the highest."""
    bounds = [b for r in board.rows for m in [r.metrics.get(board.headline)] if m is not None
              for b in (m.ci_low, m.ci_high, m.value) if b is not None]
    return (min(bounds), max(bounds)) if bounds else (0.0, 1.0)


def _shown(row: BoardRow, name: str) -> str:
    metric = row.metrics[name]
    ci = f" [{metric.ci_low:.3f}, {metric.ci_high:.3f}]" if metric.ci_low is not None else ""
    return f"{row.meta.model.name} ({metric_facts.label(name)} {metric.value:.3f}{ci})"


def comparison(board: TaskBoard) -> str | None:
    """One comparative sentence built only from the numbers it prints: the best model against the best
    baseline (or, with no models yet, the best two baselines)."""
    name = board.headline
    ranked = [r for r in board.rows if r.rank is not None and r.value(name) is not None]
    models = [r for r in ranked if not r.baseline]
    baselines = [r for r in ranked if r.baseline]
    pair = (models[0], baselines[0]) if models and baselines else tuple(ranked[:2])
    if len(pair) < 2:
        return None
    first, second = pair
    diff = first.value(name) - second.value(name)
    better = "better" if (diff < 0) == metric_facts.lower_is_better(name) else "worse"
    if diff == 0:
        text = f"{_shown(first, name)} equals {_shown(second, name)}"
    else:
        text = (f"{_shown(first, name)} is {abs(diff):.3f} {'lower' if diff < 0 else 'higher'} ({better}) "
                f"than {_shown(second, name)}")
    a, b = first.metrics[name], second.metrics[name]
    if None not in (a.ci_low, a.ci_high, b.ci_low, b.ci_high):
        overlap = a.ci_low <= b.ci_high and b.ci_low <= a.ci_high
        text += "; their 95% CIs overlap" if overlap else "; their 95% CIs do not overlap"
    if first.rank_range and second.rank_range and first.rank_range == second.rank_range and first.tied:
        text += ", and a paired bootstrap cannot separate them"
    return text + "."


def heatmap(board: TaskBoard) -> dict[str, Any]:
    """Per-subset MAE cells with their shade, scaled over the whole table."""
    values = [r.per_subset.get(s, {}).get("mae") for r in board.rows for s in board.subsets]
    finite = [v for v in values if v is not None]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    cells = {(r.slug, s): (r.per_subset.get(s, {}).get("mae"),
                           charts.heat_class(r.per_subset.get(s, {}).get("mae"), low, high))
             for r in board.rows for s in board.subsets}
    return {"low": low, "high": high, "cells": cells}


def _model_charts(board: TaskBoard, row: BoardRow) -> dict[str, Any]:
    if row.charts is None:
        return {}
    return {"confusion": charts.confusion_svg(row.charts),
            "subsets": charts.subset_bars_svg(row.per_subset, board.spec.subset_names),
            "distribution": charts.distribution_svg(row.charts),
            "calibration": charts.calibration_svg(row.charts)}


def build_site(boards: list[TaskBoard], out: Path, built_at: str | None = None) -> SiteSummary:
    """Write the whole site into ``out`` (replacing an earlier build)."""
    prepare_output(out)
    env = _environment()
    built = built_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"built": built, "boards": boards}
    assets = out / "assets"
    assets.mkdir()
    for name in ASSETS:
        (assets / name).write_bytes(resources.files("roboreward_bench.leaderboard").joinpath("assets", name).read_bytes())
    downloads = out / "downloads"
    downloads.mkdir()
    pages = 0
    for board in boards:
        (downloads / f"{board.name}.csv").write_text(tables.to_csv(board), encoding="utf-8")
        (downloads / f"{board.name}.json").write_text(tables.to_json(board), encoding="utf-8")
        template = env.get_template("model.html.j2")
        for row in board.rows:
            path = out / model_page_path(board, row)
            path.parent.mkdir(parents=True, exist_ok=True)
            names = [m.name for m in catalogue()]
            names += sorted(set(row.metrics) - set(names))  # a reported row may name what this install lacks
            path.write_text(template.render(root="../../", board=board, row=row, charts=_model_charts(board, row),
                                            metric_names=names, **common), encoding="utf-8")
            pages += 1
    heatmaps = {board.name: heatmap(board) for board in boards}
    index = env.get_template("index.html.j2").render(root="", heatmaps=heatmaps, page_path=model_page_path,
                                                     footnote=tables.footnote, cell=tables.cell, **common)
    (out / "index.html").write_text(index, encoding="utf-8")
    (out / "submit.html").write_text(env.get_template("submit.html.j2").render(root="", **common), encoding="utf-8")
    (out / "cite.html").write_text(env.get_template("cite.html.j2").render(
        root="", rrbench_bibtex=RRBENCH_BIBTEX, page_path=model_page_path, **common), encoding="utf-8")
    return SiteSummary(out=out, pages=pages + 3, index_bytes=len(index.encode("utf-8")), boards=len(boards),
                       rows=sum(len(b.rows) for b in boards))
