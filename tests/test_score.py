"""``rrbench score`` and ``rrbench show`` on saved outputs."""

from __future__ import annotations

import json

import pytest

from cli_runner import assert_one_line_error, rrbench


@pytest.fixture(scope="module")
def run_dir(small_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("scored") / "run"
    process = rrbench("eval", "--task", str(small_dataset), "--model", "random", "--output-dir", str(out), "--no-progress")
    assert process.returncode == 0, process.stderr
    return out


def test_rescoring_reproduces_the_run(small_dataset, run_dir, tmp_path):
    out = tmp_path / "rescored.json"
    process = rrbench("score", str(run_dir / "predictions.jsonl"), "--task", str(small_dataset), "--output", str(out))
    assert process.returncode == 0, process.stderr
    original = json.loads((run_dir / "results.json").read_text())
    assert json.loads(out.read_text())["metrics"] == original["metrics"]


def test_rescoring_reparses_raw_text(small_dataset, run_dir, tmp_path):
    rows = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    for row in rows:  # every answer now says "ANSWER: 3" but the stored parsed value is stale
        row["raw_text"] = "reasoning... ANSWER: 3"
    edited = tmp_path / "predictions.jsonl"
    edited.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "r.json"
    assert rrbench("score", str(edited), "--task", str(small_dataset), "--output", str(out)).returncode == 0
    labels = [json.loads(l)["reward"] for l in (small_dataset / "metadata.jsonl").read_text().splitlines()]
    expected = sum(abs(3 - y) for y in labels) / len(labels)
    assert json.loads(out.read_text())["metrics"]["mae_micro"]["value"] == pytest.approx(expected)
    trusting = tmp_path / "t.json"
    assert rrbench("score", str(edited), "--task", str(small_dataset), "--output", str(trusting), "--no-reparse").returncode == 0
    assert json.loads(trusting.read_text())["metrics"]["mae_micro"] != json.loads(out.read_text())["metrics"]["mae_micro"]


def test_bad_predictions_files(small_dataset, run_dir, tmp_path):
    lines = (run_dir / "predictions.jsonl").read_text().splitlines()
    duplicate = tmp_path / "dup.jsonl"
    duplicate.write_text("\n".join(lines + [lines[0]]) + "\n")
    assert_one_line_error(rrbench("score", str(duplicate), "--task", str(small_dataset)),
                          f"{duplicate}:21", "duplicate item_id")
    missing = tmp_path / "missing.jsonl"
    missing.write_text("\n".join(lines[:-2]) + "\n")
    assert_one_line_error(rrbench("score", str(missing), "--task", str(small_dataset)), "2 item(s) of task", "have no prediction")
    assert rrbench("score", str(missing), "--task", str(small_dataset), "--partial").returncode == 0
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text(lines[0] + "\n{\"item_id\": \"x\"}\n")
    assert_one_line_error(rrbench("score", str(garbled), "--task", str(small_dataset)), f"{garbled}:2", "missing field")


def test_show_prints_tables_and_schema(run_dir):
    shown = rrbench("show", str(run_dir), "--by-subset")
    assert shown.returncode == 0 and "MAE (macro)" in shown.stdout and "alpha" in shown.stdout
    schema = rrbench("show", "--schema")
    assert "task.fingerprint" in schema.stdout and "metrics" in schema.stdout
    assert_one_line_error(rrbench("show", str(run_dir / "nope.json")), "no such results file")
