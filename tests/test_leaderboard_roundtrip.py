"""The whole path through the real CLI: eval → submit → validate → build → table."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from leaderboard_fixtures import TASK, write_task

from roboreward_bench.cli.main import cli

from cli_runner import RRBENCH


def rrbench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI in this process (imports once), as the entry point would: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("lb-roundtrip")
    patch = pytest.MonkeyPatch()
    patch.setenv("RRBENCH_CACHE_DIR", str(base / "cache"))  # the re-scoring cache stays in the test's folder
    write_task(base)
    done = rrbench("eval", "--task", f"tasks/{TASK}.yaml", "--model", "random", "--output-dir", "run",
                   "--no-progress", cwd=base)
    assert done.returncode == 0, done.stderr
    yield base
    patch.undo()


def test_the_installed_command_validates(workspace: Path) -> None:
    """One real process through the console entry point: exit codes as CI sees them."""
    rrbench("submit", "run", "--org", "Proc", "--name", "Check", "--contact", "x", "--root", "proc",
            "--no-validate", cwd=workspace)
    ok = subprocess.run(RRBENCH + ["validate", "--root", "proc", "--tasks-dir", "tasks"], cwd=workspace,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "1 of 1 submission(s) valid" in ok.stdout, ok.stdout + ok.stderr
    (workspace / "proc" / TASK / "Proc__Check" / "notes.txt").write_text("hi")
    bad = subprocess.run(RRBENCH + ["validate", "--root", "proc", "--tasks-dir", "tasks"], cwd=workspace,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "notes.txt: file not allowed in a submission" in bad.stdout


def test_eval_submit_validate_build_table(workspace: Path) -> None:
    submitted = rrbench("submit", "run", "--org", "rrbench", "--name", "Random baseline", "--contact", "@rrbench",
                        "--root", "subs", "--tasks-dir", "tasks", cwd=workspace)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    folder = workspace / "subs" / TASK / "rrbench__Random-baseline"
    assert sorted(p.name for p in folder.iterdir()) == ["predictions.jsonl", "results.json", "submission.yaml"]
    assert (folder / "predictions.jsonl").read_bytes() == (workspace / "run" / "predictions.jsonl").read_bytes()

    validated = rrbench("validate", "--root", "subs", "--tasks-dir", "tasks", cwd=workspace)
    assert validated.returncode == 0, validated.stdout
    assert "1 of 1 submission(s) valid" in validated.stdout

    built = rrbench("leaderboard", "build", "--root", "subs", "--tasks-dir", "tasks", "--out", "site", cwd=workspace)
    assert built.returncode == 0, built.stderr
    assert "Random baseline" in (workspace / "site" / "index.html").read_text()
    assert (workspace / "site" / "models" / TASK / "rrbench__Random-baseline.html").is_file()

    table = rrbench("leaderboard", "table", "--task", TASK, "--format", "csv", "--root", "subs", "--tasks-dir",
                    "tasks", cwd=workspace)
    assert table.returncode == 0, table.stderr
    row = next(csv.DictReader(io.StringIO(table.stdout)))
    results = json.loads((workspace / "run" / "results.json").read_text())
    assert float(row["mae_macro"]) == pytest.approx(results["metrics"]["mae_macro"]["value"])
    assert float(row["mae_macro_ci_low"]) == pytest.approx(results["metrics"]["mae_macro"]["ci_low"])

    rebuilt = rrbench("leaderboard", "build", "--root", "subs", "--tasks-dir", "tasks", "--out", "site", cwd=workspace)
    assert rebuilt.returncode == 0, "an earlier build is replaced"


def test_tampered_prediction_fails_validation_with_one_line(workspace: Path) -> None:
    from roboreward_bench.data.local import load_local_dataset

    made = rrbench("submit", "run", "--org", "Tamper", "--name", "Edited", "--contact", "x", "--root", "tampered",
                   "--tasks-dir", "tasks", "--no-validate", cwd=workspace)
    assert made.returncode == 0, made.stderr
    path = workspace / "tampered" / TASK / "Tamper__Edited" / "predictions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    gold = {item.item_id: item.label for item in load_local_dataset(workspace / "data").items}[rows[3]["item_id"]]
    better = gold if rows[3]["parsed"] != gold else gold % 5 + 1  # changes this item's error either way
    rows[3].update(raw_text=f"ANSWER: {better}", parsed=float(better))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = rrbench("validate", "--root", "tampered", "--tasks-dir", "tasks", cwd=workspace)
    assert done.returncode == 1
    assert "0 of 1 submission(s) valid" in done.stdout
    lines = [line.strip() for line in done.stdout.splitlines() if "results.json: mae_micro is" in line]
    assert len(lines) == 1 and "but re-scoring predictions.jsonl gives" in lines[0]


def test_partial_run_cannot_be_submitted(workspace: Path) -> None:
    done = rrbench("eval", "--task", f"tasks/{TASK}.yaml", "--model", "random", "--limit", "3", "--output-dir",
                   "partial", "--no-progress", cwd=workspace)
    assert done.returncode == 0, done.stderr
    refused = rrbench("submit", "partial", "--org", "a", "--name", "b", "--contact", "c", "--root", "subs2",
                      cwd=workspace)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "covered only part of the task (limit)" in refused.stderr
    assert not (workspace / "subs2").exists()


def test_build_refuses_to_overwrite_a_folder_it_did_not_make(workspace: Path) -> None:
    precious = workspace / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    done = rrbench("leaderboard", "build", "--root", "subs", "--tasks-dir", "tasks", "--out", "precious",
                   cwd=workspace)
    assert done.returncode == 2 and "refusing to overwrite" in done.stderr
    assert (precious / "thesis.tex").read_text() == "do not delete"


def test_resubmitting_a_model_replaces_its_row_and_a_copy_is_refused(workspace: Path) -> None:
    """One row per model: --force replaces the model's own folder; the same run under another name is refused."""
    args = ("--contact", "x", "--root", "resub", "--tasks-dir", "tasks")
    first = rrbench("submit", "run", "--org", "Lab", "--name", "Model", "--date", "2026-11-01", *args, cwd=workspace)
    assert first.returncode == 0, first.stdout
    again = rrbench("submit", "run", "--org", "Lab", "--name", "Model", *args, cwd=workspace)
    assert again.returncode != 0 and "--force" in str(again.stderr) + str(again.stdout)
    replaced = rrbench("submit", "run", "--org", "Lab", "--name", "Model", "--date", "2026-11-02", "--force", *args,
                       cwd=workspace)
    assert replaced.returncode == 0, replaced.stdout
    assert "date: '2026-11-02'" in (workspace / "resub" / TASK / "Lab__Model" / "submission.yaml").read_text()
    assert "public_contact" not in (workspace / "resub" / TASK / "Lab__Model" / "submission.yaml").read_text()
    copy = rrbench("submit", "run", "--org", "Other Lab", "--name", "Renamed", "--public-contact", *args,
                   cwd=workspace)
    assert copy.returncode == 1 and "duplicate: answers every item exactly as" in copy.stdout
    assert "Lab__Model (submitted 2026-11-02)" in copy.stdout
    assert "public_contact: true" in (workspace / "resub" / TASK / "Other-Lab__Renamed" / "submission.yaml").read_text()
    built = rrbench("leaderboard", "build", "--root", "resub", "--tasks-dir", "tasks", "--out", "resub-site",
                    cwd=workspace)
    assert built.returncode != 0, "the copy blocks the build until it is removed or --skip-invalid is given"
    built = rrbench("leaderboard", "build", "--root", "resub", "--tasks-dir", "tasks", "--out", "resub-site",
                    "--skip-invalid", cwd=workspace)
    index = (workspace / "resub-site" / "index.html").read_text()
    assert built.returncode == 0 and index.count('data-slug="') == 1 and "Lab__Model" in index
