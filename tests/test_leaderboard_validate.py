"""The validator over a corpus of bad submissions, each with the one line it must give.

Every bad submission starts as a copy of a good one (a real ``rrbench eval``
run turned into a folder by ``rrbench submit``'s code) with one thing broken.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from leaderboard_fixtures import TASK, read_json, read_yaml, write_task, write_yaml

from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.submit import SubmitOptions, write_submission
from roboreward_bench.leaderboard.validate import validate_submission

GOOD = "rrbench__Random"


@dataclass
class Env:
    root: Path
    catalog: TaskCatalog
    good: Path
    tmp: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    base = tmp_path_factory.mktemp("lb-validate")
    tasks = write_task(base)
    run = evaluate(EvalConfig(task=str(tasks / f"{TASK}.yaml"), model="random", model_args={},
                              output_dir=base / "run", progress=False)).output_dir
    good = write_submission(run, base / "good", SubmitOptions(organisation="rrbench", name="Random",
                                                              contact="@rrbench", on="2026-11-24"))
    return Env(root=base / "cases", catalog=TaskCatalog(tasks), good=good, tmp=base)


def test_the_good_submission_passes_and_is_rescored(env: Env) -> None:
    checked = validate_submission(env.good, env.good.parents[1], env.catalog)
    assert checked.problems == ()
    assert checked.report is not None and checked.report.counts["items"] == len(env.catalog.load(TASK).items)


# --- mutations -------------------------------------------------------------------------------------------

def edit_meta(change: Callable[[dict], None]) -> Callable[[Path, Env], None]:
    def mutate(folder: Path, env: Env) -> None:
        meta = read_yaml(folder / "submission.yaml")
        change(meta)
        write_yaml(folder / "submission.yaml", meta)
    return mutate


def raw_meta(text: str | bytes) -> Callable[[Path, Env], None]:
    def mutate(folder: Path, env: Env) -> None:
        path = folder / "submission.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return mutate


def edit_lines(change: Callable[[list[dict]], list]) -> Callable[[Path, Env], None]:
    def mutate(folder: Path, env: Env) -> None:
        path = folder / "predictions.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        out = change(rows)
        path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in out))
    return mutate


def edit_results(change: Callable[[dict], None]) -> Callable[[Path, Env], None]:
    def mutate(folder: Path, env: Env) -> None:
        results = read_json(folder / "results.json")
        change(results)
        (folder / "results.json").write_text(json.dumps(results))
    return mutate


def set_key(*path_and_value: object) -> Callable[[dict], None]:
    *path, value = path_and_value

    def change(data: dict) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value
    return change


def drop_key(*path: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]
    return change


def first_row(change: Callable[[dict], None]) -> Callable[[list[dict]], list]:
    def apply(rows: list[dict]) -> list:
        change(rows[0])
        return rows
    return apply


def as_reported(extra: Callable[[dict], None] | None = None) -> Callable[[Path, Env], None]:
    def mutate(folder: Path, env: Env) -> None:
        meta = {"schema_version": 1, "kind": "reported", "task": TASK,
                "model": {"name": "Paper model", "organisation": "A lab", "weights": "closed"},
                "citation": {"source": "a test citation", "url": "https://example.org/p"},
                "metrics": {"mae_macro": 1.0}, "date": "2026-11-24", "contact": "x@example.org"}
        if extra:
            extra(meta)
        write_yaml(folder / "submission.yaml", meta)
        for name in ("predictions.jsonl", "results.json"):
            (folder / name).unlink()
    return mutate


def add_file(name: str, data: bytes = b"x") -> Callable[[Path, Env], None]:
    return lambda folder, env: (folder / name).write_bytes(data)


def symlink_predictions(folder: Path, env: Env) -> None:
    target = env.tmp / "elsewhere.jsonl"
    shutil.copyfile(folder / "predictions.jsonl", target)
    (folder / "predictions.jsonl").unlink()
    (folder / "predictions.jsonl").symlink_to(target)


def fifo_results(folder: Path, env: Env) -> None:
    (folder / "results.json").unlink()
    os.mkfifo(folder / "results.json")


def sparse_results(folder: Path, env: Env) -> None:
    with open(folder / "results.json", "wb") as handle:
        handle.truncate(4 * 1024 * 1024 + 1)


def python_tag(folder: Path, env: Env) -> None:
    marker = env.tmp / "pwned"
    text = (folder / "submission.yaml").read_text()
    (folder / "submission.yaml").write_text(text + f"x: !!python/object/apply:os.system ['touch {marker}']\n")


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path, Env], None]
    reason: str
    stale: bool = False
    unknown_version: bool = False


CORPUS = [
    # submission.yaml: syntax and schema
    Case("yaml-not-a-mapping", raw_meta("- a\n- b\n"), "must be a YAML mapping of fields"),
    Case("yaml-malformed", raw_meta("kind: verified\nmodel: [\n"), "malformed YAML"),
    Case("yaml-not-utf8", raw_meta(b"kind: \xff\xfe verified\n"), "not UTF-8 text"),
    Case("yaml-alias-bomb", raw_meta("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"),
         "YAML anchors and aliases are not allowed"),
    Case("yaml-python-tag", python_tag, "YAML tags such as"),
    Case("yaml-duplicate-key", raw_meta("kind: verified\nkind: reported\n"), "duplicate key 'kind'"),
    Case("kind-misspelled", edit_meta(set_key("kind", "verifed")), "kind must be 'verified' or 'reported'"),
    Case("schema-version", edit_meta(set_key("schema_version", 2)), "schema_version must be 1"),
    Case("missing-contact", edit_meta(drop_key("contact")), "missing required field 'contact'"),
    Case("unknown-field", edit_meta(set_key("scroe", 0.1)), "unknown field 'scroe'"),
    Case("weights-not-open-or-closed", edit_meta(set_key("model", "weights", "semi")), "model.weights:"),
    Case("javascript-link", edit_meta(set_key("model", "link", "javascript:alert(1)")),
         "model.link: must be an http:// or https:// URL"),
    Case("impossible-date", edit_meta(set_key("date", "2026-02-30")), "date: day is out of range"),
    Case("negative-size", edit_meta(set_key("model", "parameters_b", -3)), "model.parameters_b:"),
    Case("name-with-newline", edit_meta(set_key("model", "name", "a\nb")), "model.name: must be a single line"),
    Case("name-with-bidi-override", edit_meta(set_key("model", "organisation", "Lab \u202eAI-nepO")),
         "model.organisation: must be a single line without control or bidirectional-override characters"),
    Case("task-not-its-folder", edit_meta(set_key("task", "other")), "does not match its folder 'tiny'"),
    # task
    Case("future-version", edit_meta(set_key("task_version", 2)), "unknown version: task 'tiny' has no version 2",
         unknown_version=True),
    Case("far-future-version", edit_meta(set_key("task_version", 999)), "has no version 999", unknown_version=True),
    Case("stale-fingerprint", edit_meta(set_key("task_fingerprint", "0" * 64)), "stale: made for task version 1",
         stale=True),
    # files
    Case("extra-file", add_file("notes.txt"), "notes.txt: file not allowed in a submission"),
    Case("hidden-file", add_file(".env"), ".env: file not allowed in a submission"),
    Case("subfolder", lambda f, e: (f / "extra").mkdir(), "subfolders are not allowed"),
    Case("symlinked-predictions", symlink_predictions, "symlinks are not allowed"),
    Case("fifo-results", fifo_results, "results.json: not a regular file"),
    Case("oversize-results", sparse_results, "is over the 4,194,304-byte limit"),
    Case("missing-predictions", lambda f, e: (f / "predictions.jsonl").unlink(),
         "missing; a verified submission needs its predictions"),
    Case("missing-submission-yaml", lambda f, e: (f / "submission.yaml").unlink(), "submission.yaml: missing"),
    # predictions.jsonl
    Case("missing-item", edit_lines(lambda rows: rows[1:]), "1 item(s) of task 'tiny' have no prediction"),
    Case("extra-item", edit_lines(lambda rows: rows + [dict(rows[0], item_id="not/a/task/item.mp4")]),
         "1 item id(s) are not in task 'tiny'"),
    Case("duplicate-item", edit_lines(lambda rows: rows + [rows[0]]), "duplicate item_id"),
    Case("parsed-disagrees", edit_lines(first_row(lambda r: r.update(raw_text="ANSWER: 2", parsed=5.0))),
         "parsed is 5.0 but the task's parser 'helm' reads raw_text as 2.0"),
    Case("valid-but-unparseable", edit_lines(first_row(lambda r: r.update(raw_text="no idea", parsed=3.0))),
         "reads raw_text as invalid"),
    Case("clamped-value", edit_lines(first_row(lambda r: r.update(raw_text="ANSWER: 7", parsed=5.0))),
         "parsed is 5.0 but the task's parser 'helm' reads raw_text as 7.0"),
    Case("error-with-answer", edit_lines(first_row(lambda r: r.update(error="video unreadable"))),
         "has an error but also a valid parsed answer"),
    Case("probs-over-one", edit_lines(first_row(lambda r: r.update(score_probs=[0.5, 0.5, 0.5, 0, 0]))),
         "score_probs sum to 1.5000, more than 1"),
    Case("probs-wrong-length", edit_lines(first_row(lambda r: r.update(score_probs=[1.0]))),
         "score_probs must be a list of 5 probabilities"),
    Case("line-not-json", edit_lines(lambda rows: rows + ["{oops"]), "not valid JSON"),
    Case("nan-in-line", edit_lines(lambda rows: rows[:-1] + [json.dumps(dict(rows[-1], latency_s=0.125)).replace(
        '"latency_s": 0.125', '"latency_s": NaN')]), "NaN is not allowed"),
    Case("empty-predictions", lambda f, e: (f / "predictions.jsonl").write_text(""), "no predictions"),
    # settings
    Case("frames-not-default", edit_meta(set_key("frames", {"num_frames": 8})),
         "frames {num_frames: 8} (task default {num_frames: 4}) differs from the task's default"),
    Case("non-standard-without-deviations", edit_meta(set_key("non_standard", True)),
         "non_standard: true needs at least one entry under deviations"),
    # results.json against the re-scored predictions
    Case("tampered-headline", edit_results(set_key("metrics", "mae_macro", "value", 0.1)),
         "mae_macro is 0.1 but re-scoring predictions.jsonl gives"),
    Case("tampered-ci", edit_results(set_key("metrics", "exact_acc", "ci_high", 0.99)),
         "exact_acc ci_high is 0.99 but re-scoring predictions.jsonl gives"),
    Case("invented-metric", edit_results(set_key("metrics", "elo", {"value": 1500})),
         "metric 'elo' is not one rrbench computes"),
    Case("tampered-subset", edit_results(set_key("per_subset", "alpha", "mae", 0.0)),
         "per_subset alpha.mae is 0 but re-scoring"),
    Case("results-other-seed", edit_results(set_key("seed", 7)), "seed is 7 but submission.yaml says 0"),
    Case("results-other-model", edit_results(set_key("model", "spec", "hf:someone/else")),
         "model.spec is 'hf:someone/else' but submission.yaml says 'random'"),
    # reported rows
    Case("reported-with-predictions", lambda f, e: (as_reported()(f, e), (f / "predictions.jsonl").write_text("")),
         "a reported submission carries no predictions.jsonl"),
    Case("reported-without-citation", as_reported(drop_key("citation")), "missing required field 'citation'"),
    Case("reported-without-headline", as_reported(set_key("metrics", {"exact_acc": 0.5})),
         "metrics must include the task's headline metric 'mae_macro'"),
    Case("reported-unknown-metric", as_reported(set_key("metrics", "elo", 1200.0)), "metrics.elo: unknown metric"),
    Case("reported-rate-out-of-range", as_reported(set_key("metrics", "exact_acc", 1.5)),
         "metrics.exact_acc: must be between 0 and 1"),
    Case("reported-nan", as_reported(set_key("metrics", "mae_macro", float("nan"))), "must be a finite number"),
    Case("reported-future-version", as_reported(set_key("task_version", 3)), "unknown version: task 'tiny' has no "
         "version 3", unknown_version=True),
]


def test_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 30
    assert len({c.name for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_bad_submission_gives_its_reason(case: Case, env: Env) -> None:
    folder = env.root / case.name / TASK / GOOD
    shutil.copytree(env.good, folder)
    case.mutate(folder, env)
    checked = validate_submission(folder, folder.parents[1], env.catalog)
    assert not checked.ok
    assert all("\n" not in p for p in checked.problems), "every problem is one line"
    matching = [p for p in checked.problems if case.reason in p]
    assert matching, f"expected a line with {case.reason!r}, got {checked.problems}"
    assert checked.stale == case.stale
    assert checked.unknown_version == case.unknown_version
    assert not (env.tmp / "pwned").exists(), "nothing in a submission may run"


def _copy(env: Env, name: str) -> Path:
    folder = env.root / name / TASK / GOOD
    shutil.copytree(env.good, folder)
    return folder


def test_folder_that_is_a_symlink_is_refused(env: Env) -> None:
    real = _copy(env, "real-folder")
    link = env.root / "linked" / TASK / GOOD
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    checked = validate_submission(link, env.root / "linked", env.catalog)
    assert any("is a symlink" in p for p in checked.problems)


def test_path_outside_the_root_is_refused(env: Env) -> None:
    folder = _copy(env, "outside")
    checked = validate_submission(folder, env.root / "somewhere-else", env.catalog)
    assert any("is outside the submissions folder" in p for p in checked.problems)


def test_badly_named_folder_is_refused(env: Env) -> None:
    folder = env.root / "naming" / TASK / "no-org-separator"
    shutil.copytree(env.good, folder)
    checked = validate_submission(folder, folder.parents[1], env.catalog)
    assert any("folder name must be <org>__<model>" in p for p in checked.problems)


def test_unknown_task_is_named_with_the_known_ones(env: Env) -> None:
    folder = env.root / "unknown-task" / "nosuch" / GOOD
    shutil.copytree(env.good, folder)
    edit_meta(set_key("task", "nosuch"))(folder, env)
    checked = validate_submission(folder, folder.parents[1], env.catalog)
    assert any("unknown task 'nosuch'" in p and "tiny" in p for p in checked.problems)


def test_changed_labels_make_old_submissions_stale(env: Env, tmp_path: Path) -> None:
    """Relabelling one item changes the task fingerprint: the old submission is stale, not re-scored."""
    from video_fixtures import small_benchmark_rows

    rows = small_benchmark_rows()
    rows[0]["reward"] = 6 - rows[0]["reward"] if rows[0]["reward"] != 3 else 4
    catalog = TaskCatalog(write_task(tmp_path, rows=rows))
    folder = _copy(env, "relabelled")
    checked = validate_submission(folder, folder.parents[1], catalog)
    assert checked.stale and checked.report is None
    assert any("stale" in p and "re-run and resubmit" in p for p in checked.problems)


def test_problems_in_many_lines_are_capped(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from roboreward_bench.leaderboard import checks

    monkeypatch.setattr(checks, "MAX_PROBLEMS_PER_FILE", 5)
    folder = _copy(env, "many-bad-lines")
    edit_lines(lambda rows: [dict(r, parsed=9.0) for r in rows])(folder, env)
    checked = validate_submission(folder, folder.parents[1], env.catalog)
    lines = [p for p in checked.problems if "predictions.jsonl" in p]
    assert len(lines) == 6 and lines[-1].endswith(f"… and {len(env.catalog.load(TASK).items) - 5} more problems like these")


def test_non_standard_run_passes_when_declared(env: Env) -> None:
    folder = _copy(env, "declared-non-standard")
    edit_meta(lambda m: m.update(frames={"num_frames": 8}, non_standard=True,
                                 deviations=["frames.num_frames 8 instead of 4"]))(folder, env)
    (folder / "results.json").unlink()  # the run itself used the defaults; only the claim changes here
    checked = validate_submission(folder, folder.parents[1], env.catalog)
    assert checked.ok, checked.problems


def test_cache_hit_equals_a_fresh_rescore_and_any_byte_change_misses(env: Env, tmp_path: Path) -> None:
    from roboreward_bench.leaderboard.rescore_cache import RescoreCache

    cache = RescoreCache(tmp_path / "cache")
    folder = _copy(env, "cached")
    fresh = validate_submission(folder, folder.parents[1], env.catalog, cache)
    assert fresh.ok and len(list((tmp_path / "cache").rglob("*.json"))) == 1
    hit = validate_submission(folder, folder.parents[1], env.catalog, cache)
    assert hit.report == fresh.report
    assert (hit.charts.y_pred == fresh.charts.y_pred).all() and (hit.charts.valid == fresh.charts.valid).all()
    # One changed answer is a different file: a miss, re-scored, and results.json no longer agrees.
    gold = {item.item_id: item.label for item in env.catalog.load(TASK).items}

    def change_error(row: dict) -> None:
        label = gold[row["item_id"]]
        answer = label if row["parsed"] != label else label % 5 + 1
        row.update(raw_text=f"ANSWER: {answer}", parsed=float(answer))
    edit_lines(first_row(change_error))(folder, env)
    changed = validate_submission(folder, folder.parents[1], env.catalog, cache)
    assert not changed.ok and any("re-scoring predictions.jsonl gives" in p for p in changed.problems)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1, "failed submissions are not cached"


def test_corrupt_cache_entry_is_a_miss(env: Env, tmp_path: Path) -> None:
    from roboreward_bench.leaderboard.rescore_cache import RescoreCache

    cache = RescoreCache(tmp_path / "cache")
    folder = _copy(env, "corrupt-cache")
    fresh = validate_submission(folder, folder.parents[1], env.catalog, cache)
    entry = next((tmp_path / "cache").rglob("*.json"))
    entry.write_text('{"key": "something else"}')
    again = validate_submission(folder, folder.parents[1], env.catalog, cache)
    assert again.ok and again.report == fresh.report
