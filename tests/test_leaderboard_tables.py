"""Win rates across submissions (hand-worked, ties included), ranks, citation tables, the schema."""

from __future__ import annotations

import csv
import io
import json

import pytest

from roboreward_bench.leaderboard.board import BoardRow, TaskBoard, rank_rows
from roboreward_bench.leaderboard.schema import json_schema, parse_submission
from roboreward_bench.leaderboard.tables import format_table
from roboreward_bench.metrics.types import MetricValue
from roboreward_bench.tasks.spec import SourceSpec, TaskSpec

SPEC = TaskSpec(name="t", source=SourceSpec())


def meta(name: str, kind: str = "verified", organisation: str = "Org"):
    raw = {"schema_version": 1, "kind": kind, "task": "t", "date": "2026-11-24", "contact": "x",
           "model": {"name": name, "organisation": organisation, "weights": "open"}}
    if kind == "verified":
        raw.update(task_version=1, task_fingerprint="a" * 64, prompt_version="roboreward-v1",
                   frames={"num_frames": 16}, seed=0)
    else:
        raw.update(citation={"source": "a paper", "url": "https://example.org"}, metrics={"mae_macro": 0.5})
    parsed, problems = parse_submission(raw, "test")
    assert not problems, problems
    return parsed


def row(name: str, subsets: dict[str, float], kind: str = "verified", ci: tuple[float, float] | None = None,
        organisation: str = "Org") -> BoardRow:
    macro = sum(subsets.values()) / len(subsets)
    low, high = ci or (None, None)
    return BoardRow(slug=name, meta=meta(name, kind, organisation),
                    metrics={"mae_macro": MetricValue(macro, low, high), "exact_acc": MetricValue(0.25, 0.1, 0.4)},
                    per_subset={s: {"mae": v} for s, v in subsets.items()}, counts={})


HAND = [row("A", {"s1": 1.0, "s2": 2.0}), row("B", {"s1": 1.0, "s2": 1.0}), row("C", {"s1": 2.0, "s2": 3.0}),
        row("R", {"s1": 0.5, "s2": 0.5}, kind="reported")]


def by_slug(rows: list[BoardRow]) -> dict[str, BoardRow]:
    return {r.slug: r for r in rows}


def test_win_rates_over_verified_rows_with_a_tie() -> None:
    # s1: A and B tie (½ each), both beat C.  s2: B beats A and C, A beats C.
    # A = (1.5/2 + 1/2) / 2 = 0.625;  B = (1.5/2 + 2/2) / 2 = 0.875;  C = 0.
    ranked = by_slug(rank_rows(HAND, "mae_macro"))
    assert ranked["A"].win_rate == pytest.approx(0.625)
    assert ranked["B"].win_rate == pytest.approx(0.875)
    assert ranked["C"].win_rate == pytest.approx(0.0)
    assert ranked["R"].win_rate is None and ranked["R"].rank is None


def test_reported_rows_enter_win_rates_only_when_asked() -> None:
    # With R (best everywhere): s1: A = B = (½ + 1)/3, C = 0, R = 1; s2: A = 1/3, B = 2/3, C = 0, R = 1.
    ranked = by_slug(rank_rows(HAND, "mae_macro", include_reported=True))
    assert ranked["A"].win_rate == pytest.approx((0.5 + 1 / 3) / 2)
    assert ranked["B"].win_rate == pytest.approx((0.5 + 2 / 3) / 2)
    assert ranked["R"].win_rate == pytest.approx(1.0)
    assert ranked["R"].rank == 1


def test_ranks_follow_the_headline_and_share_ties() -> None:
    rows = rank_rows(HAND + [row("D", {"s1": 2.0, "s2": 1.0})], "mae_macro")
    assert [(r.slug, r.rank) for r in rows] == [("B", 1), ("A", 2), ("D", 2), ("C", 4), ("R", None)]


def board(rows: list[BoardRow]) -> TaskBoard:
    return TaskBoard(spec=SPEC, rows=tuple(rank_rows(rows, "mae_macro")), stale=(), fingerprint="f" * 64,
                     subsets=("s1", "s2"))


def test_latex_table_escapes_names_and_prints_cis() -> None:
    text = format_table(board([row("A&B_50% <x>", {"s1": 1.0, "s2": 2.0}, ci=(1.2, 1.8)),
                               row("R", {"s1": 0.5, "s2": 0.5}, kind="reported")]), "latex")
    assert r"A\&B\_50\% \textless{}x\textgreater{}" in text
    assert r"1.500\\ {\scriptsize[1.200, 1.800]}" in text, "the CI under the value"
    assert r"\textbf{0.500}" in text and r"\textbf{1.500}" not in text, "the best MAE (lowest) in bold"
    assert r"R$^\dagger$" in text and "Reported by its authors, not re-scored" in text
    assert "fingerprint ffffffffffff" in text


def test_markdown_table_keeps_its_columns_with_hostile_names() -> None:
    text = format_table(board([row("a|b", {"s1": 1.0, "s2": 1.0}, organisation="<b>x</b>")]), "markdown")
    header, rule, first = text.splitlines()[:3]
    assert header.count("|") == first.count("|") - first.count(r"\|")
    assert r"a\|b" in first and r"\<b\>x\</b\>" in first


def test_csv_and_json_tables_carry_values_and_cis() -> None:
    rows = [row("A", {"s1": 1.0, "s2": 2.0}, ci=(1.2, 1.8)), row("R", {"s1": 0.5, "s2": 0.5}, kind="reported")]
    parsed = list(csv.DictReader(io.StringIO(format_table(board(rows), "csv"))))
    assert parsed[0]["model"] == "A" and float(parsed[0]["mae_macro_ci_high"]) == 1.8
    assert parsed[1]["kind"] == "reported" and parsed[1]["rank"] == ""
    data = json.loads(format_table(board(rows), "json"))
    assert data["rows"][1]["citation"]["url"] == "https://example.org"
    assert data["rows"][0]["per_subset"] == {"s1": {"mae": 1.0}, "s2": {"mae": 2.0}}


def test_json_schema_covers_both_kinds() -> None:
    schema = json_schema()
    kinds = [s["properties"]["kind"]["const"] for s in schema["oneOf"]]
    assert kinds == ["verified", "reported"]
    assert "citation" in schema["oneOf"][1]["required"]
