"""A leaderboard readers can trust: uncertainty in the ranking, degenerate values, duplicates, privacy,
unknown versions, one rule for badges and sizes, and phones (real Chromium at 390 and 1400 px)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from cli_runner import rrbench
from leaderboard_fixtures import TASK, read_yaml, seeded_answer, write_reported, write_task, write_verified, write_yaml

from roboreward_bench.evaluation.rows import scored_rows, scoring_input
from roboreward_bench.evaluation.scoring import metric_options
from roboreward_bench.leaderboard.board import build_boards
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.site import build_site
from roboreward_bench.leaderboard.snapshot import snapshot_of
from roboreward_bench.leaderboard.uncertainty import headline_draws, rank_ranges, separable
from roboreward_bench.leaderboard.validate import validate_all
from roboreward_bench.metrics.bootstrap import paired_bootstrap
from roboreward_bench.results.predictions import read_predictions


def _flip_one(item) -> int:
    """Like 'Noisy Seven', except on the first item of the task: a copy no bootstrap can tell apart."""
    answer = seeded_answer(item, 1)
    return answer % 5 + 1 if item.item_id == _flip_one.first else answer


ROWS = {  # name -> (organisation, answer rule, weights, size in B, backend)
    "Gold Copier": ("Lab A", lambda item: item.label, "closed", None, "hf"),
    "Noisy Seven": ("Lab B", lambda item: seeded_answer(item, 1), "open", 7.0, "hf"),
    "Noisy Seven bis": ("Lab D", _flip_one, "open", 7.0, "hf"),
    "Always Three": ("rrbench", lambda item: 3, "open", 0.0, "constant"),
    "Never Five": ("Lab E", lambda item: 1 + seeded_answer(item, 2) % 4, "open", 3.0, "hf"),
}
PRIVATE_MAIL = "private-person@example.org"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_COMMITTER_DATE": "2026-11-27T10:00:00Z",
                        "GIT_AUTHOR_DATE": "2026-11-27T10:00:00Z", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def board_env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("lb-trust")
    tasks = write_task(base)
    catalog = TaskCatalog(tasks)
    _flip_one.first = catalog.load(TASK).items[0].item_id
    root = base / "submissions"
    for name, (org, rule, weights, size, backend) in ROWS.items():
        folder = write_verified(root, catalog, org, name, rule, weights=weights, parameters_b=size)
        meta = read_yaml(folder / "submission.yaml")
        meta["model"]["backend"] = backend
        meta["contact"] = PRIVATE_MAIL
        meta["date"] = "2026-11-2" + str(len(list(root.glob("*/*"))))
        write_yaml(folder / "submission.yaml", meta)
    public = root / TASK / "Lab-B__Noisy-Seven" / "submission.yaml"
    meta = read_yaml(public)
    meta.update(public_contact=True, contact="public-person@example.org")
    write_yaml(public, meta)
    write_reported(root, TASK, "Paper Model", 0.9)
    _git(base, "init", "-q")
    _git(base, "add", "submissions")
    _git(base, "commit", "-qm", "submissions")
    checked = validate_all([], root, catalog)
    assert all(c.ok for c in checked), [c.problems for c in checked]
    boards = build_boards(checked, catalog, snapshot=snapshot_of(root))
    out = base / "site"
    build_site(boards, out)
    return {"base": base, "tasks": tasks, "root": root, "catalog": catalog, "board": boards[0], "out": out}


def rows_by_name(board) -> dict:
    return {r.meta.model.name: r for r in board.rows}


# --- uncertainty in the ranking ---------------------------------------------------------------

def test_rank_groups_join_rows_a_paired_bootstrap_cannot_separate(board_env) -> None:
    rows = rows_by_name(board_env["board"])
    assert rows["Gold Copier"].rank == 1 and rows["Gold Copier"].rank_range == (1, 1)
    a, b = rows["Noisy Seven"], rows["Noisy Seven bis"]
    assert a.tied and b.tied and a.rank_range == b.rank_range
    assert a.rank_text == f"{a.rank_range[0]}–{a.rank_range[1]}"
    assert rows["Paper Model"].rank_range is None, "reported rows join no group"


def test_neighbour_test_is_the_paired_bootstrap(board_env) -> None:
    """One bootstrap per row, differenced, decides exactly as metrics.bootstrap.paired_bootstrap does."""
    catalog, root = board_env["catalog"], board_env["root"]
    task = catalog.load(TASK)
    names = {"Lab-A__Gold-Copier": None, "Lab-B__Noisy-Seven": None, "Lab-E__Never-Five": None,
             "Lab-D__Noisy-Seven-bis": None}
    inputs = {slug: scoring_input(scored_rows(task.spec, task.items,
                                              read_predictions(root / TASK / slug / "predictions.jsonl")))
              for slug in names}
    dists = {slug: headline_draws(task.spec, inputs[slug], "mae_macro") for slug in names}
    for a, b in [("Lab-A__Gold-Copier", "Lab-B__Noisy-Seven"), ("Lab-B__Noisy-Seven", "Lab-D__Noisy-Seven-bis"),
                 ("Lab-B__Noisy-Seven", "Lab-E__Never-Five")]:
        paired = paired_bootstrap(inputs[a], inputs[b], "mae_macro", metric_options(task.spec))
        assert separable(dists[a], dists[b]) == (paired.ci_low > 0 or paired.ci_high < 0), (a, b)
        assert np.percentile(dists[a] - dists[b], 2.5) == pytest.approx(paired.ci_low)


def test_rank_ranges_chain_only_neighbours() -> None:
    rng = np.random.default_rng(0)
    same = rng.normal(0, 1, 200)
    dists = {"a": same, "b": rng.normal(0, 1, 200), "c": same + 10, "d": rng.normal(10, 1, 200),
             "e": same + 50}
    ranges = rank_ranges(list(dists), [1, 2, 3, 4, 5], dists)
    assert ranges == {"a": (1, 2), "b": (1, 2), "c": (3, 4), "d": (3, 4), "e": (5, 5)}
    assert rank_ranges(["a", "b"], [1, 1], {"a": same, "b": same}) == {"a": (1, 2), "b": (1, 2)}
    small = {"a": same, "b": same + 0.001}  # a paired difference that never changes sign separates, however small
    assert rank_ranges(["a", "b"], [1, 2], small) == {"a": (1, 1), "b": (2, 2)}
    assert rank_ranges(["a", "x"], [1, 2], {"a": same}) == {"a": (1, 1), "x": (2, 2)}, "no distribution, no group"


# --- degenerate values -------------------------------------------------------------------------

def test_degenerate_values_are_flagged_by_their_cause(board_env) -> None:
    rows = rows_by_name(board_env["board"])
    constant = rows["Always Three"].degenerate
    assert constant["qwk"] == "always answers 3" and "pairwise_acc" in constant and "near_miss_fpr" in constant
    never = rows["Never Five"].degenerate
    assert never["near_miss_fpr"] == "never predicts success" and never["success_f1"] == "never predicts success"
    assert "qwk" not in never, "a spread of answers keeps QWK informative"
    assert rows["Gold Copier"].degenerate == {} and rows["Noisy Seven"].degenerate == {}


# --- duplicates --------------------------------------------------------------------------------

def _copy_submission(env: dict, name: str, case: str) -> tuple[Path, Path]:
    root = env["base"] / f"dup-{case}"
    shutil.copytree(env["root"] / TASK, root / TASK, ignore=shutil.ignore_patterns(".git"))
    source = root / TASK / "Lab-B__Noisy-Seven"
    copy = root / TASK / name
    shutil.copytree(source, copy)
    return root, copy


@pytest.mark.parametrize("case", ["byte-copy", "reordered-and-rerun", "same-model-other-folder"])
def test_a_copy_of_a_submission_is_refused_naming_the_first(board_env, case: str) -> None:
    root, copy = _copy_submission(board_env, "Other-Lab__Clone", case)
    meta = read_yaml(copy / "submission.yaml")
    meta["date"] = "2026-11-28"
    if case == "reordered-and-rerun":  # other line order, latencies and key order: the same answers
        lines = (copy / "predictions.jsonl").read_text().splitlines()
        rows = [yaml.safe_load(line) for line in reversed(lines)]
        for row in rows:
            row["latency_s"] = 1.5
        import json
        (copy / "predictions.jsonl").write_text("".join(json.dumps(dict(reversed(list(r.items())))) + "\n"
                                                        for r in rows))
        meta["model"]["name"] = "Clone"
    elif case == "same-model-other-folder":  # other answers, but the same organisation and name
        import json
        rows = [json.loads(line) for line in (copy / "predictions.jsonl").read_text().splitlines()]
        rows[0].update(raw_text="ANSWER: 1" if rows[0]["parsed"] != 1 else "ANSWER: 2")
        rows[0]["parsed"] = float(rows[0]["raw_text"][-1])
        (copy / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        meta["model"]["name"] = "Clone"
    write_yaml(copy / "submission.yaml", meta)
    done = rrbench("validate", str(copy), "--root", str(root), "--tasks-dir", str(board_env["tasks"]), "--no-cache")
    assert done.returncode == 1, done.stdout
    assert "duplicate:" in done.stdout and "Lab-B__Noisy-Seven (submitted" in done.stdout, done.stdout
    original = rrbench("validate", str(root / TASK / "Lab-B__Noisy-Seven"), "--root", str(root),
                       "--tasks-dir", str(board_env["tasks"]), "--no-cache")
    assert original.returncode == 0, "the earlier submission stays valid"


def test_changed_answers_under_a_new_name_are_not_a_duplicate(board_env) -> None:
    import json

    root, copy = _copy_submission(board_env, "Other-Lab__Different", "different")
    rows = [json.loads(line) for line in (copy / "predictions.jsonl").read_text().splitlines()]
    rows[0].update(raw_text="ANSWER: 1" if rows[0]["parsed"] != 1 else "ANSWER: 2")
    rows[0]["parsed"] = float(rows[0]["raw_text"][-1])
    (copy / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    meta = read_yaml(copy / "submission.yaml")
    meta["model"]["name"] = "Different"
    write_yaml(copy / "submission.yaml", meta)
    done = rrbench("validate", str(copy), "--root", str(root), "--tasks-dir", str(board_env["tasks"]), "--no-cache")
    assert done.returncode == 0, done.stdout


# --- unknown versions --------------------------------------------------------------------------

def test_unknown_version_fails_validate_and_is_left_out_of_the_build(board_env) -> None:
    root = board_env["base"] / "future"
    shutil.copytree(board_env["root"] / TASK, root / TASK, ignore=shutil.ignore_patterns(".git"))
    future = root / TASK / "Lab-A__Gold-Copier" / "submission.yaml"
    meta = read_yaml(future)
    meta["task_version"] = 7
    write_yaml(future, meta)
    tasks = str(board_env["tasks"])
    done = rrbench("validate", "--root", str(root), "--tasks-dir", tasks, "--no-cache")
    assert done.returncode == 1 and "UNKNOWN VERSION" in done.stdout and "has no version 7" in done.stdout
    out = board_env["base"] / "future-site"
    built = rrbench("leaderboard", "build", "--out", str(out), "--root", str(root), "--tasks-dir", tasks)
    assert built.returncode == 0, built.stderr
    assert "warning: leaving out" in built.stderr and "Lab-A__Gold-Copier" in built.stderr
    index = (out / "index.html").read_text()
    assert "Gold Copier" not in index and "earlier version" not in index


# --- privacy, badges and sizes -----------------------------------------------------------------

def test_contact_is_published_only_when_asked(board_env) -> None:
    pages = list((board_env["out"]).rglob("*.html")) + list((board_env["out"] / "downloads").iterdir())
    text = "".join(p.read_text() for p in pages)
    assert PRIVATE_MAIL not in text
    assert "public-person@example.org" in (board_env["out"] / "models" / TASK / "Lab-B__Noisy-Seven.html").read_text()


def test_badges_and_sizes_follow_one_rule(board_env) -> None:
    rows = rows_by_name(board_env["board"])
    assert rows["Always Three"].parameters_text[0] == "n/a" and rows["Always Three"].parameters is None
    assert rows["Gold Copier"].parameters_text[0] == "?" and rows["Noisy Seven"].parameters_text[0] == "7B"
    index = (board_env["out"] / "index.html").read_text()
    for row in board_env["board"].rows:
        assert f'<span class="badge {row.meta.model.weights}">' in index
    assert index.count('<span class="badge open">') + index.count('<span class="badge closed">') == len(rows)


# --- the site in Chromium -----------------------------------------------------------------------

PAGES = ("index.html", "submit.html", "cite.html", f"models/{TASK}/Lab-B__Noisy-Seven.html",
         f"models/{TASK}/rrbench__Always-Three.html", f"models/{TASK}/paper__Paper-Model.html")


@pytest.fixture
def page_at(browser):
    contexts = []

    def make(width: int):
        context = browser.new_context(viewport={"width": width, "height": 844})
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_no_page_is_wider_than_the_screen(board_env, page_at, width: int) -> None:
    page = page_at(width)
    for path in PAGES:
        page.goto((board_env["out"] / path).as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def _right_edges(page, selector: str) -> list[float]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect().right)")


def test_phone_shows_rank_model_and_headline_with_ci(board_env, page_at) -> None:
    page = page_at(390)
    page.goto((board_env["out"] / "index.html").as_uri())
    page.wait_for_selector("html[data-ready=yes]")
    rows = page.locator("table.board tbody tr")
    assert rows.count() == len(ROWS) + 1
    for selector in ("td.col-rank", "td.model > a", "td.headline", "td.headline .ci", "td.headline svg.cibar"):
        edges = _right_edges(page, f"table.board tbody tr {selector}")
        assert edges and all(0 < e <= 390 for e in edges), (selector, edges)
        assert all(page.locator(f"table.board tbody tr {selector}").nth(i).is_visible()
                   for i in range(len(edges))), selector
    assert not page.locator("table.board td[data-sort]:not(.headline):not(.col-rank):not(.model)").first.is_visible()
    page.check(".show-all-columns")
    assert page.locator("table.board th[data-key=qwk]").is_visible(), "every column is one tap away"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the table scrolls, not the page"


def test_desktop_shows_every_column(board_env, page_at) -> None:
    page = page_at(1400)
    page.goto((board_env["out"] / "index.html").as_uri())
    headers = page.locator("table.board thead th")
    assert all(headers.nth(i).is_visible() for i in range(headers.count()))
    assert max(_right_edges(page, "table.board thead th")) <= 1400


def test_tied_rows_show_a_rank_range_and_cis_show_on_hover(board_env, page_at) -> None:
    page = page_at(1400)
    page.goto((board_env["out"] / "index.html").as_uri())
    page.wait_for_selector("html[data-ready=yes]")
    tied = page.locator("table.board td.tied")
    expected = [r for r in board_env["board"].rows if r.tied]
    assert tied.count() == len(expected) >= 2
    shown = page.eval_on_selector_all("table.board tr:has(td.tied)", "rs => rs.map(r => r.dataset.slug)")
    assert {"Lab-B__Noisy-Seven", "Lab-D__Noisy-Seven-bis"} <= set(shown)
    for row, text in zip(expected, tied.all_inner_texts()):
        assert text.lower().replace("\n", "") == f"{row.rank_range[0]}–{row.rank_range[1]}tied"
    assert "paired bootstrap" in tied.first.get_attribute("title")
    row = page.locator("table.board tbody tr[data-slug='Lab-B__Noisy-Seven']")
    for key in ("exact_acc", "qwk", "near_miss_fpr", "within1_acc"):
        index = page.eval_on_selector_all("table.board thead th", f"hs => hs.findIndex(h => h.dataset.key === '{key}')")
        title = row.locator("td").nth(index).get_attribute("title") or ""
        assert "95% CI" in title, (key, title)


def test_degenerate_values_sort_last_and_say_why(board_env, page_at) -> None:
    page = page_at(1400)
    page.goto((board_env["out"] / "index.html").as_uri())
    page.wait_for_selector("html[data-ready=yes]")
    page.click("table.board th[data-key=near_miss_fpr]")  # lower is better: best first
    order = page.eval_on_selector_all("table.board tbody tr", "rs => rs.map(r => r.dataset.slug)")
    flagged = {"rrbench__Always-Three", "Lab-E__Never-Five"}
    informative = [s for s in order if s not in flagged and s != "paper__Paper-Model"]
    assert order[:len(informative)] == informative and set(order[len(informative):len(informative) + 2]) == flagged
    cell = page.locator("tr[data-slug='Lab-E__Never-Five'] td.degenerate").first
    assert "never predicts success" in cell.get_attribute("title")
    page.goto((board_env["out"] / "models" / TASK / "Lab-E__Never-Five.html").as_uri())
    assert "never predicts success" in page.inner_text("main")
    ci_cells = page.locator("table.metrics tr[data-metric=success_f1] td.ci").inner_text()
    assert "–" in ci_cells, "the model page shows every metric's CI"


def test_model_page_shows_the_ci_of_every_ci_bearing_metric(board_env) -> None:
    from roboreward_bench.leaderboard.metric_facts import has_ci

    html = (board_env["out"] / "models" / TASK / "Lab-B__Noisy-Seven.html").read_text()
    row = rows_by_name(board_env["board"])["Noisy Seven"]
    for name, metric in row.metrics.items():
        if has_ci(name) and metric.value is not None and metric.ci_low is not None:
            assert f'data-metric="{name}"' in html and f"{metric.ci_low:.3f} – {metric.ci_high:.3f}" in html, name


def test_site_shows_the_snapshot(board_env) -> None:
    snap = snapshot_of(board_env["root"])
    assert snap.commit and snap.date == "2026-11-27" and not snap.dirty
    index = (board_env["out"] / "index.html").read_text()
    assert f"snapshot {snap.commit} (2026-11-27)" in index


def test_cached_rescoring_keeps_the_rank_groups(board_env, tmp_path: Path) -> None:
    from roboreward_bench.leaderboard.rescore_cache import RescoreCache

    cache = RescoreCache(tmp_path / "cache")
    catalog = TaskCatalog(board_env["tasks"])
    cold = validate_all([], board_env["root"], catalog, cache)
    warm = validate_all([], board_env["root"], catalog, cache)
    for a, b in zip(cold, warm):
        assert (a.draws is None) == (b.draws is None) and (a.draws is None or np.array_equal(a.draws, b.draws))
    ranges = [r.rank_range for r in build_boards(warm, catalog)[0].rows]
    assert ranges == [r.rank_range for r in board_env["board"].rows]
