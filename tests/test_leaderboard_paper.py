"""Paper-ready tables: LaTeX that compiles and fits, escaped Markdown, a snapshot in every format,
BibTeX for cited rows and for rrbench, CITATION.cff in step with it, and the per-item Parquet export."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cli_runner import rrbench
from leaderboard_fixtures import TASK, seeded_answer, write_reported, write_task, write_verified

from roboreward_bench.leaderboard.board import BoardRow, TaskBoard, rank_rows
from roboreward_bench.leaderboard.citation import RRBENCH_BIBTEX, RRBENCH_URL
from roboreward_bench.leaderboard.latex import bib_entries, to_latex
from roboreward_bench.leaderboard.schema import parse_submission
from roboreward_bench.leaderboard.snapshot import Snapshot
from roboreward_bench.leaderboard.tables import format_table
from roboreward_bench.metrics.types import MetricValue
from roboreward_bench.tasks.spec import SourceSpec, TaskSpec

REPO = Path(__file__).resolve().parents[1]
SNAP = Snapshot("abc1234", "2026-11-27")
PAPER_BIB = "@misc{lee2026roboreward,\n  title = {RoboReward},\n  year = {2026}\n}"


def _meta(name: str, kind: str, bibtex: str | None = None):
    raw = {"schema_version": 1, "kind": kind, "task": "rrb-sim", "date": "2026-11-24", "contact": "x",
           "model": {"name": name, "organisation": "Org $1 | *x*", "weights": "open"}}
    if kind == "verified":
        raw.update(task_version=1, task_fingerprint="a" * 64, prompt_version="roboreward-v1",
                   frames={"num_frames": 16}, seed=0)
    else:
        raw.update(citation={"source": "a paper, table 2", "url": "https://example.org/p", "bibtex": bibtex},
                   metrics={"mae_macro": 0.5})
        if bibtex is None:
            del raw["citation"]["bibtex"]
    parsed, problems = parse_submission(raw, "test")
    assert not problems, problems
    return parsed


def _row(name: str, mae: float, qwk: float, kind: str = "verified", degenerate: dict | None = None,
         bibtex: str | None = None) -> BoardRow:
    metrics = {"mae_macro": MetricValue(mae, mae - 0.04, mae + 0.04), "qwk": MetricValue(qwk, qwk - 0.05, qwk + 0.05),
               "exact_acc": MetricValue(0.4, 0.35, 0.45), "within1_acc": MetricValue(0.8, 0.75, 0.85),
               "pairwise_acc": MetricValue(0.6, 0.55, 0.65), "success_f1": MetricValue(0.3, 0.2, 0.4),
               "near_miss_fpr": MetricValue(0.1, 0.05, 0.15), "invalid_rate": MetricValue(0.0, 0.0, 0.0)}
    if kind == "reported":
        metrics = {"mae_macro": MetricValue(mae)}
    return BoardRow(slug=re.sub(r"\W+", "-", name), meta=_meta(name, kind, bibtex), metrics=metrics,
                    per_subset={"s1": {"mae": mae}}, counts={}, degenerate=degenerate or {})


def _board(rows: list[BoardRow], name: str = "rrb-sim") -> TaskBoard:
    return TaskBoard(spec=TaskSpec(name=name, source=SourceSpec()), rows=tuple(rank_rows(rows, "mae_macro")),
                     stale=(), fingerprint="f" * 64, subsets=("s1",), snapshot=SNAP)


BOARD = _board([
    _row("Qwen2.5-VL-72B-Instruct", 0.712, 0.55), _row("GPT-5 $2 | *pro*", 0.801, 0.61),
    _row("constant:3", 1.142, 0.0, degenerate={"qwk": "always answers 3"}),
    _row("RoboReward-8B", 0.665, 0.0, kind="reported", bibtex=PAPER_BIB),
    _row("Paper model without BibTeX", 0.9, 0.0, kind="reported"),
])


def test_latex_marks_best_values_directions_label_and_citations() -> None:
    text = to_latex(BOARD)
    assert r"\label{tab:rrbench-rrb-sim}" in text
    assert r"MAE (macro) $\downarrow$" in text and r"QWK $\uparrow$" in text
    assert r"\textbf{0.665}" in text, "the lowest MAE, a reported row's, is the column's best"
    assert r"\textbf{0.610}" in text, "the highest informative QWK"
    assert r"0.000\S{}" in text and r"\textbf{0.000}\S{}" not in text, "a degenerate value is marked, never best"
    assert r"RoboReward-8B$^\dagger$~\cite{lee2026roboreward}" in text
    assert r"~\cite{rrbench-Paper-model-without-BibTeX}".lower() in text.lower()
    assert re.search(r"^% .*booktabs", text, re.M), "a comment names booktabs"
    assert r"GPT-5 \$2 | *pro*" in text
    assert "snapshot abc1234 (2026-11-27)" in text


def test_compact_latex_has_model_headline_and_three_more_columns() -> None:
    text = to_latex(BOARD, compact=True)
    header = next(line for line in text.splitlines() if line.startswith("Model &"))
    assert header.count(" & ") == 4, "model, headline and three more columns"
    assert r"\begin{table}" in text and "table*" not in text


def test_bib_has_rrbench_and_every_cited_row_once() -> None:
    bib = bib_entries(BOARD)
    keys = re.findall(r"@\w+\{([^,]+),", bib)
    assert keys == ["rrbench", "lee2026roboreward", "rrbench-paper-model-without-bibtex"]
    assert "howpublished = {\\url{https://example.org/p}}" in bib
    assert f"url          = {{{RRBENCH_URL}}}" in RRBENCH_BIBTEX and RRBENCH_BIBTEX.startswith("@misc{rrbench,")


def _pdflatex(tmp_path: Path, body: str, twocolumn: bool) -> str:
    if shutil.which("pdflatex") is None:
        pytest.skip("no pdflatex here (Debian: texlive-latex-base texlive-latex-recommended)")
    (tmp_path / "refs.bib").write_text(bib_entries(BOARD))
    doc = ("\\documentclass[" + ("twocolumn" if twocolumn else "") + "]{article}\n"
           "\\usepackage{booktabs}\\usepackage{graphicx}\\usepackage{url}\n"
           "\\begin{document}\n" + body + "\n\\end{document}\n")
    (tmp_path / "paper.tex").write_text(doc)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert done.returncode == 0, log[-2000:]
    return log


def test_latex_compiles_and_fits(tmp_path: Path) -> None:
    log = _pdflatex(tmp_path, to_latex(BOARD), twocolumn=False)
    assert "Overfull \\hbox" not in log


def test_compact_latex_fits_one_column(tmp_path: Path) -> None:
    log = _pdflatex(tmp_path, to_latex(BOARD, compact=True), twocolumn=True)
    assert "Overfull \\hbox" not in log, "the compact table is wider than \\columnwidth"


def test_markdown_escapes_dollar_pipe_and_star() -> None:
    text = format_table(BOARD, "markdown")
    line = next(line for line in text.splitlines() if "GPT-5" in line)
    assert r"GPT-5 \$2 \| \*pro\*" in line and r"Org \$1 \| \*x\*" in line
    header = text.splitlines()[0]
    assert header.count("|") == line.count("|") - line.count(r"\|")
    assert "MAE (macro) ↓" in header and "QWK ↑" in header


@pytest.mark.parametrize("fmt", ["latex", "markdown", "csv", "json"])
def test_every_table_carries_the_snapshot(fmt: str) -> None:
    text = format_table(BOARD, fmt)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {(r["snapshot_commit"], r["snapshot_date"]) for r in rows} == {("abc1234", "2026-11-27")}
    elif fmt == "json":
        assert json.loads(text)["snapshot"] == {"commit": "abc1234", "date": "2026-11-27", "dirty": False}
    else:
        assert "snapshot abc1234 (2026-11-27)" in text


def test_citation_cff_has_url_repository_and_release_date() -> None:
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["repository-code"] == RRBENCH_URL and cff["url"] == RRBENCH_URL
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert str(cff["date-released"]) in RRBENCH_BIBTEX and cff["version"] in RRBENCH_BIBTEX


# --- the per-item export ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from roboreward_bench.leaderboard.catalog import TaskCatalog

    base = tmp_path_factory.mktemp("lb-export")
    tasks = write_task(base)
    catalog = TaskCatalog(tasks)
    root = base / "submissions"
    write_verified(root, catalog, "Lab A", "Copier", lambda item: item.label)
    noisy = write_verified(root, catalog, "Lab B", "Noisy", lambda item: seeded_answer(item, 3))
    lines = (noisy / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first.update(raw_text="I cannot tell.", parsed=None, valid=False)
    lines[0] = json.dumps(first)
    (noisy / "predictions.jsonl").write_text("\n".join(lines) + "\n")
    write_reported(root, TASK, "Paper", 0.9)
    out = base / "details"
    done = rrbench("leaderboard", "export", "--out", str(out), "--root", str(root), "--tasks-dir", str(tasks))
    assert done.returncode == 0, done.stderr
    from roboreward_bench.leaderboard.board import build_boards
    from roboreward_bench.leaderboard.validate import validate_all

    board = build_boards(validate_all([], root, catalog), catalog)[0]
    macro = {r.meta.model.name: r.value("mae_macro") for r in board.rows if not r.reported}
    return {"out": out, "items": catalog.load(TASK).items, "stdout": done.stdout, "first": first, "macro": macro}


def test_export_loads_with_pandas_and_holds_every_verified_item(exported) -> None:
    import pandas as pd

    frame = pd.read_parquet(exported["out"] / f"{TASK}.parquet")
    items = exported["items"]
    assert len(frame) == 2 * len(items) and set(frame["model"]) == {"Copier", "Noisy"}, "no reported rows"
    assert {"item_id", "model", "gold", "raw_text", "parsed", "valid", "error", "subset"} <= set(frame.columns)
    copier = frame[frame["model"] == "Copier"].set_index("item_id")
    for item in items:
        assert copier.loc[item.item_id, "gold"] == item.label == copier.loc[item.item_id, "parsed"]
        assert copier.loc[item.item_id, "subset"] == item.subset
    bad = frame[(frame["model"] == "Noisy") & (frame["item_id"] == exported["first"]["item_id"])].iloc[0]
    assert bad["raw_text"] == "I cannot tell." and not bad["valid"] and pd.isna(bad["parsed"])
    assert bad["abs_error"] == 4.0, "an invalid answer carries the task's penalty"
    assert f"{2 * len(items):,} rows" in exported["stdout"]
    by_subset = frame.groupby(["model", "subset"])["abs_error"].mean().groupby("model").mean()
    assert by_subset.to_dict() == pytest.approx(exported["macro"]), "the details re-derive the board's macro MAE"


def test_export_loads_with_datasets(exported) -> None:
    import datasets

    details = datasets.load_dataset("parquet", data_files=str(exported["out"] / f"{TASK}.parquet"),
                                    split="train")
    assert details.num_rows == 2 * len(exported["items"])
    assert set(details.column_names) >= {"item_id", "model", "gold", "raw_text", "parsed", "valid", "error", "subset"}
    assert details.features["valid"].dtype == "bool" and details.features["gold"].dtype == "int8"
