"""A task's board as a LaTeX table for a paper, and the BibTeX its citations need.

The full table (``table*``, every column, CIs under values) is scaled to
``\\textwidth``; the compact one (model, headline with its CI, three more
columns) is a one-column ``table`` set small enough for ``\\columnwidth``.
Both bold the best informative value of each column, mark each header ↓ or ↑,
carry ``\\label{tab:rrbench-<task>}`` and cite reported rows (and rows whose
submitters gave BibTeX) with ``\\cite{key}``; ``--bib`` prints those entries.
"""

from __future__ import annotations

import re

from roboreward_bench.leaderboard import metric_facts
from roboreward_bench.leaderboard.board import BoardRow, TaskBoard
from roboreward_bench.leaderboard.citation import RRBENCH_BIBTEX, RRBENCH_KEY
from roboreward_bench.leaderboard.schema import ReportedSubmission
from roboreward_bench.leaderboard.tables import (DEGENERATE_MARK, NON_STANDARD_MARK, REPORTED_MARK, best_values,
                                                 board_columns, footnote)

COMPACT_EXTRA = 3  # columns besides the model and the headline in --compact
_SPECIALS = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
             "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
             "<": r"\textless{}", ">": r"\textgreater{}", REPORTED_MARK: r"$^\dagger$", "–": "--",
             DEGENERATE_MARK: r"\S{}", "↓": r"$\downarrow$", "↑": r"$\uparrow$", "ρ": r"$\rho$", "τ": r"$\tau$"}
_KEY = re.compile(r"@\s*\w+\s*\{\s*([^,\s{}]+)\s*,")


def latex_escape(text: str) -> str:
    return "".join(_SPECIALS.get(ch, ch) for ch in text)


def bib_key(row: BoardRow) -> str | None:
    """The key to ``\\cite`` a row by: its BibTeX's own key, or a made-up one for a reported row without BibTeX."""
    text = row.meta.citation.bibtex if isinstance(row.meta, ReportedSubmission) else row.meta.bibtex
    found = _KEY.search(text or "")
    if found:
        return found.group(1)
    if row.reported:
        return "rrbench-" + re.sub(r"[^A-Za-z0-9]+", "-", row.slug).strip("-").lower()
    return None


def bib_entries(board: TaskBoard) -> str:
    """The .bib for a table: rrbench itself, then one entry per cited row (each key once)."""
    entries = {RRBENCH_KEY: RRBENCH_BIBTEX}
    for row in board.rows:
        key = bib_key(row)
        if key is None or key in entries:
            continue
        meta = row.meta
        given = meta.citation.bibtex if isinstance(meta, ReportedSubmission) else meta.bibtex
        if given and _KEY.search(given):
            entries[key] = given.strip()
        else:  # a reported row without BibTeX: its citation, as printed in submission.yaml
            assert isinstance(meta, ReportedSubmission)
            entries[key] = (f"@misc{{{key},\n  title        = {{{latex_escape(meta.citation.source)}}},\n"
                            f"  howpublished = {{\\url{{{meta.citation.url}}}}},\n"
                            f"  note         = {{Numbers of {latex_escape(meta.model.name)} as reported}}\n}}")
    return "\n\n".join(entries.values()) + "\n"


def _value(row: BoardRow, key: str, best: dict[str, float], with_ci: bool) -> str:
    value = row.win_rate if key == "win_rate" else row.value(key)
    if value is None:
        return "--"
    shown = f"{value:.3f}"
    if key in best and value == best[key] and not row.is_degenerate(key):
        shown = rf"\textbf{{{shown}}}"
    if row.is_degenerate(key):
        shown += r"\S{}"
    metric = row.metrics.get(key)
    if with_ci and metric is not None and metric.ci_low is not None and metric.ci_high is not None:
        ci = rf"{{\scriptsize[{metric.ci_low:.3f}, {metric.ci_high:.3f}]}}"
        return rf"\begin{{tabular}}[t]{{@{{}}c@{{}}}}{shown}\\ {ci}\end{{tabular}}"
    return shown


def _name(row: BoardRow) -> str:
    marks = (REPORTED_MARK if row.reported else "") + (NON_STANDARD_MARK if row.non_standard else "")
    name = latex_escape(row.meta.model.name + marks)
    key = bib_key(row)
    return name + (rf"~\cite{{{key}}}" if key else "")


def _stacked(text: str) -> str:
    """Text over two lines inside a cell (a nested tabular: no package needed)."""
    words = text.split(" ")
    if len(words) < 2:
        return text
    cut = max(1, len(words) // 2)
    return (r"\begin{tabular}[b]{@{}c@{}}" + " ".join(words[:cut]) + r"\\ " + " ".join(words[cut:])
            + r"\end{tabular}")


def to_latex(board: TaskBoard, compact: bool = False) -> str:
    """The table; ``compact`` gives the one-column variant."""
    columns = board_columns(board)
    if compact:
        columns = columns[:1 + COMPACT_EXTRA]
    keys = [key for key, _ in columns]
    best = best_values(board, keys)
    labels = [latex_escape(f"{label} {metric_facts.arrow(key)}") for key, label in columns]
    heads = ([] if compact else ["Rank"]) + ["Model"] + ([_stacked(h) for h in labels] if compact else labels)
    # compact: model names wrap in a fixed share of the column instead of widening the table
    align = (r"p{0.3\columnwidth}" if compact else "rl") + "c" * len(columns)
    note = latex_escape(footnote(board)).replace("\n", " ")
    env = "table" if compact else "table*"
    lines = [f"% rrbench leaderboard table for {board.name}: {note}",
             r"% Needs \usepackage{booktabs} (\toprule, \midrule, \bottomrule)"
             + ("" if compact else r" and \usepackage{graphicx} (\resizebox)")
             + r"; the --bib entries use \url (\usepackage{url} or hyperref).",
             rf"\begin{{{env}}}[t]", r"\centering", r"\small" if not compact else r"\footnotesize",
             r"\setlength{\tabcolsep}{3pt}" if compact else r"\resizebox{\textwidth}{!}{%",
             rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(heads) + r" \\", r"\midrule"]
    for row in board.rows:
        cells = ([] if compact else [latex_escape(row.rank_text)]) + [_name(row)]
        cells += [_value(row, key, best, with_ci=(key == board.headline or not compact)) for key in keys]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}" + ("" if compact else "}"),
              r"\caption{" + note + rf" Cite as \cite{{{RRBENCH_KEY}}}." + "}",
              rf"\label{{tab:rrbench-{board.name}}}", rf"\end{{{env}}}"]
    return "\n".join(lines) + "\n"
