"""The built site in a real headless Chromium, opened from disk (file://)."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from leaderboard_fixtures import TASK, seeded_answer, write_reported, write_task, write_verified

from roboreward_bench.leaderboard.board import build_boards
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.site import build_site
from roboreward_bench.leaderboard.validate import validate_all


XSS_NAME = "<script>alert(1)</script>"
XSS_ORG = "<img src=x onerror=alert(2)>"


def _probs(item) -> tuple[float, ...]:
    high = 0.2 + 0.15 * (seeded_answer(item, 9) - 1)
    rest = (1 - high) / 4
    return (rest, rest, rest, rest, high)


ROWS = {  # name -> (organisation, answer rule, weights, size in B, score_probs rule)
    "Gold Copier": ("Lab A", lambda item: item.label, "closed", None, None),
    "Noisy Seven": ("Lab B", lambda item: seeded_answer(item, 1), "open", 7.0, _probs),
    "Always Three": ("Lab C", lambda item: 3, "open", 2.0, None),
    XSS_NAME: (XSS_ORG, lambda item: max(1, item.label - 1), "open", 70.0, None),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("lb-site")
    catalog = TaskCatalog(write_task(base))
    root = base / "submissions"
    for name, (org, rule, weights, size, probs) in ROWS.items():
        write_verified(root, catalog, org, name, rule, weights=weights, parameters_b=size, probs=probs)
    write_reported(root, TASK, "Paper Model", 0.9)
    checked = validate_all([], root, catalog)
    assert all(c.ok for c in checked), [c.problems for c in checked]
    out = base / "site"
    build_site(build_boards(checked, catalog), out)
    return {"out": out, "items": catalog.load(TASK).items}


def macro_mae(items, rule) -> float:
    """Macro MAE computed here by hand, independently of the metric suite."""
    errors = defaultdict(list)
    for item in items:
        errors[item.subset].append(abs(rule(item) - item.label))
    return sum(sum(e) / len(e) for e in errors.values()) / len(errors)



@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.requests = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


def open_index(page, site) -> None:
    page.goto((site["out"] / "index.html").as_uri())
    page.wait_for_selector("html[data-ready=yes]")


def names_in_order(page) -> list[str]:
    return page.locator("table.board tbody tr:not(.hidden) td.model > a").all_inner_texts()


def column(page, key: str) -> list[str]:
    index = page.eval_on_selector_all("table.board thead th", f"hs => hs.findIndex(h => h.dataset.key === '{key}')")
    return page.eval_on_selector_all("table.board tbody tr:not(.hidden)",
                                     f"rows => rows.map(r => r.cells[{index}].getAttribute('data-sort'))")


def test_table_has_the_expected_rows_in_rank_order(page, site) -> None:
    open_index(page, site)
    expected = sorted(ROWS, key=lambda n: macro_mae(site["items"], ROWS[n][1]))
    assert names_in_order(page) == expected + ["Paper Model"]
    shown = [float(v) for v in column(page, "mae_macro")[:len(expected)]]
    assert shown == pytest.approx([macro_mae(site["items"], ROWS[n][1]) for n in expected])
    assert column(page, "rank")[:len(expected)] == ["1.0", "2.0", "3.0", "4.0"]


def test_reported_row_is_apart_and_unranked(page, site) -> None:
    open_index(page, site)
    row = page.locator("table.board tbody tr.reported")
    assert row.count() == 1
    assert row.locator(".badge.reported").inner_text().lower() == "reported"
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "–", "a reported row has no rank"
    assert column(page, "win_rate")[-1] == "", "a reported row has no win rate"


def test_sorting_by_a_column_reorders_the_rows(page, site) -> None:
    open_index(page, site)
    before = names_in_order(page)
    page.click("table.board th[data-key=params]")
    after = names_in_order(page)
    assert after[:3] == ["Always Three", "Noisy Seven", XSS_NAME], "smallest first; undisclosed sizes last"
    assert after != before and sorted(after) == sorted(before)
    page.click("table.board th[data-key=exact_acc]")
    values = [float(v) for v in column(page, "exact_acc") if v]
    assert values == sorted(values, reverse=True), "higher accuracy first on the first click"
    page.click("table.board th[data-key=exact_acc]")
    values = [float(v) for v in column(page, "exact_acc") if v]
    assert values == sorted(values) and len(set(values)) > 1
    assert page.get_attribute("table.board th[data-key=exact_acc]", "aria-sort") == "ascending"
    page.click("table.board th[data-key=model]")
    names = [n.lower() for n in names_in_order(page)]
    assert names == sorted(names)


def test_filters_by_weights_size_and_kind(page, site) -> None:
    open_index(page, site)
    page.select_option(".filter-weights", "closed")
    assert names_in_order(page) == ["Gold Copier", "Paper Model"]
    page.select_option(".filter-weights", "")
    page.select_option(".filter-size", "gt40")
    assert names_in_order(page) == [XSS_NAME]
    page.select_option(".filter-size", "")
    page.uncheck(".filter-reported")
    assert "Paper Model" not in names_in_order(page) and len(names_in_order(page)) == len(ROWS)
    assert page.inner_text(".controls .shown") == f"{len(ROWS)} of {len(ROWS) + 1} shown"


def test_model_page_opens_with_its_charts(page, site) -> None:
    open_index(page, site)
    page.click("text=Noisy Seven")
    page.wait_for_selector("h1.model-name")
    assert "Noisy Seven" in page.inner_text("h1.model-name")
    assert page.locator("svg.chart rect.cell").count() == 5 * 7, "confusion matrix: 5 labels × 7 columns"
    counts = [int(t) for t in page.locator("svg.chart text.count").all_text_contents()]
    assert sum(counts) == len(site["items"])
    assert page.locator("svg[aria-label='Calibration of P(success)'] circle.point").count() >= 1
    page.click("text=← tiny leaderboard")
    page.wait_for_selector("table.board")


def test_calibration_plot_only_with_score_probs(page, site) -> None:
    page.goto((site["out"] / "models" / TASK / "Lab-C__Always-Three.html").as_uri())
    assert page.locator("svg[aria-label^='Confusion matrix']").count() == 1
    assert page.locator("svg[aria-label='Calibration of P(success)']").count() == 0


def test_script_in_a_submission_renders_as_text_and_runs_nothing(page, site) -> None:
    open_index(page, site)
    assert XSS_NAME in names_in_order(page)
    assert XSS_ORG in page.locator("table.board td.model .org").all_inner_texts()
    assert page.locator("script").count() == 1, "only the site's own script"
    assert page.locator("img").count() == 0
    page.click(f"table.board td.model > a:text-is('{XSS_NAME}')")
    page.wait_for_selector("h1.model-name")
    assert XSS_NAME in page.inner_text("h1.model-name")
    assert page.locator("script").count() == 1 and page.locator("img").count() == 0
    assert page.dialogs == []


def test_pages_fetch_nothing_from_the_network(page, site) -> None:
    for path in ("index.html", "submit.html", "cite.html", f"models/{TASK}/Lab-B__Noisy-Seven.html"):
        page.goto((site["out"] / path).as_uri())
    assert page.requests and all(url.startswith("file://") for url in page.requests), page.requests


def test_downloads_hold_the_table(site) -> None:
    import csv
    import json

    rows = list(csv.DictReader((site["out"] / "downloads" / f"{TASK}.csv").open()))
    assert [r["model"] for r in rows[:len(ROWS)]] == sorted(ROWS, key=lambda n: macro_mae(site["items"], ROWS[n][1]))
    data = json.loads((site["out"] / "downloads" / f"{TASK}.json").read_text())
    by_name = {r["model"]: r for r in data["rows"]}
    assert math.isclose(by_name["Always Three"]["metrics"]["mae_macro"]["value"],
                        macro_mae(site["items"], ROWS["Always Three"][1]))
    assert by_name["Paper Model"]["kind"] == "reported" and by_name["Paper Model"]["rank"] is None
