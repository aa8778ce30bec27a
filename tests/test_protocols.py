"""The three HELM protocols: prompt texts, parse-and-score tables, the local multi-camera format, swap.

Every expected value below is written from the rules in shared/PROTOCOLS.md,
not from rrbench's output.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from cli_runner import assert_one_line_error, rrbench
from protocol_fixtures import preference_rows, progress_rows, write_rows
from roboreward_bench.answer_rules import parse_helm_preference, preference_match
from roboreward_bench.data.loading import load_task
from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.scoring import score_records
from roboreward_bench.metrics.progress import item_stats
from roboreward_bench.parsing import parse_helm
from roboreward_bench.prompts import PROMPTS, content_plan
from roboreward_bench.requests import TextPart
from roboreward_bench.results.predictions import PredictionRecord


def test_helm_instruction_texts_are_byte_exact():
    # SHA-256 of the Python string literals in shared/PROTOCOLS.md §2 and §3.
    assert hashlib.sha256(PROMPTS.get("helm-progress-v1").encode()).hexdigest() == \
        "3db90681251ca9a3a8a44f00f897906c294523a1aa8a52146ec8eb72437f2867"
    assert hashlib.sha256(PROMPTS.get("helm-preference-v1").encode()).hexdigest() == \
        "6769afcc527b56143fd1a6180d0db42c293a683cbd170004b34400341b8de177"


# (raw output, gold %, parsed, HELM abs error (invalid 4), exact match, strict abs error (invalid 100))
PROGRESS = [
    ("The arm grasped the cup.\nANSWER: 75", 80.0, 75.0, 5.0, 0, 5.0),
    ("ANSWER: 80.0", 80.0, 80.0, 0.0, 1, 0.0),
    ("ANSWER: 33.5", 30.0, 33.5, 3.5, 0, 3.5),
    ("62.5", 60.0, 62.5, 2.5, 0, 2.5),                   # a leading number
    ("50% done", 40.0, 50.0, 10.0, 0, 10.0),              # the \b after 50 holds before %
    ("ANSWER: 150", 100.0, 150.0, 50.0, 0, 50.0),         # never clamped
    ("ANSWER: -10", 0.0, -10.0, 10.0, 0, 10.0),
    ("answer:30", 30.0, 30.0, 0.0, 1, 0.0),
    ("Progress: 40\nANSWER: 45", 45.0, 45.0, 0.0, 1, 0.0),
    ("ANSWER: 20\nANSWER: 90", 90.0, 20.0, 70.0, 0, 70.0),  # the first match counts
    ("I think about half.", 50.0, None, 4.0, 0, 100.0),     # invalid: 4 under HELM, 100 strict
    ("", 10.0, None, 4.0, 0, 100.0),
    ("ANSWER: fifty", 50.0, None, 4.0, 0, 100.0),
    ("ANSWER: .5", 1.0, None, 4.0, 0, 100.0),
    ("3rd attempt looks fine", 100.0, None, 4.0, 0, 100.0),
]


def _records(ids, raws):
    return [PredictionRecord(item_id=i, raw_text=raw, parsed=None, valid=False) for i, raw in zip(ids, raws)]


def test_progress_parse_and_item_stats_table(tmp_path):
    gold = np.array([g for _, g, *_ in PROGRESS])
    parsed = [parse_helm(raw).value for raw, *_ in PROGRESS]
    assert parsed == [p for _, _, p, *_ in PROGRESS]
    valid = np.array([p is not None for p in parsed])
    pred = np.array([np.nan if p is None else p for p in parsed])
    helm, strict = item_stats(gold, pred, valid, 4.0), item_stats(gold, pred, valid, 100.0)
    np.testing.assert_array_equal(helm.abs_error, [row[3] for row in PROGRESS])
    np.testing.assert_array_equal(helm.squared_error, [row[3] ** 2 for row in PROGRESS])
    np.testing.assert_array_equal(helm.exact_match, [row[4] for row in PROGRESS])
    np.testing.assert_array_equal(strict.abs_error, [row[5] for row in PROGRESS])
    # The same through a dataset folder, the run's scorer and its invalid-reason counts.
    rows = [{"item_id": f"i{k}", "task": "t", "progress": g, "videos": {"Front": f"v{k}.mp4"}}
            for k, (_, g, *_) in enumerate(PROGRESS)]
    root = tmp_path / "progress"
    root.mkdir()
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_task(str(root))
    assert task.spec.protocol == "progress" and task.spec.prompt == "helm-progress-v1"
    report = score_records(task, _records([r["item_id"] for r in rows], [raw for raw, *_ in PROGRESS]))
    assert report.overall["progress_mae"].value == pytest.approx(np.mean([row[3] for row in PROGRESS]))
    assert report.overall["progress_mae_strict"].value == pytest.approx(np.mean([row[5] for row in PROGRESS]))
    assert report.overall["progress_exact_match"].value == pytest.approx(np.mean([row[4] for row in PROGRESS]))
    assert report.counts["invalid"] == 5
    assert report.notes["invalid_by_reason"] == {"empty": 1, "no_number": 4}


# (raw output, gold, parsed by HELM's preference rule, exact match)
PREFERENCE = [
    ("A", "A", "A", 1),
    ("Policy B hesitated twice.\nANSWER: B", "B", "B", 1),
    ("ANSWER: tie", "tie", "tie", 1),
    ("ANSWER: Tied", "tie", "tie", 1),                    # tie and tied are one answer
    ("ANSWER:   b  \n", "A", "B", 0),
    ("Answer: a", "A", "A", 1),                           # the second marker
    ("Answer: b, then ANSWER: a", "A", "A", 1),           # ANSWER: is looked for first, wherever it is
    ("  TIE ", "tie", "tie", 1),
    ("A.", "A", None, 0),                                 # punctuation makes it invalid
    ("ANSWER: A  (if Policy A is better)", "A", None, 0),  # the format line copied: invalid
    ("answer: a", "A", None, 0),                          # neither marker (case matters): whole text compared
    ("ANSWER: A\nANSWER: B", "A", None, 0),               # everything after the first marker is compared
    ("Policy A", "A", None, 0),
    ("ANSWER: C", "B", None, 0),
    ("", "B", None, 0),
]


def test_preference_parse_and_exact_match_table(tmp_path):
    for raw, gold, parsed, match in PREFERENCE:
        assert parse_helm_preference(raw).value == parsed, raw
        assert preference_match(parse_helm_preference(raw).value, gold) == bool(match), raw
    rows = [{"item_id": f"p{k}", "task": "t", "preference": gold, "videos_a": {"Left": f"a{k}.mp4"},
             "videos_b": {"Left": f"b{k}.mp4"}} for k, (_, gold, _, _) in enumerate(PREFERENCE)]
    root = tmp_path / "preference"
    root.mkdir()
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_task(str(root))
    assert (task.spec.protocol, task.spec.parser, task.spec.headline) == ("preference", "helm-preference", "preference_accuracy")
    report = score_records(task, _records([r["item_id"] for r in rows], [raw for raw, *_ in PREFERENCE]))
    assert report.overall["preference_accuracy"].value == pytest.approx(np.mean([m for *_, m in PREFERENCE]))
    assert report.counts["invalid"] == 7
    assert report.notes["invalid_by_reason"] == {"empty": 1, "not_a_choice": 6}


def test_swap_asks_b_then_a_and_reports_order_consistency(tmp_path):
    data = write_rows(tmp_path / "pairs", preference_rows(4))
    spec = tmp_path / "pref.yaml"
    spec.write_text(f"name: pairs\nprotocol: preference\nswap: true\nsource: {{kind: local, path: {data}}}\n")
    task = load_task(str(spec))
    by_id = {item.item_id: item for item in task.items}
    assert len(task.items) == 8
    original, twin = by_id["pair0"], by_id["pair0#swap"]
    assert (original.label, twin.label) == ("A", "B") and by_id["pair2#swap"].label == "tie"
    assert [v.file_name for v in twin.videos if v.rollout == "A"] == \
        [v.file_name for v in original.videos if v.rollout == "B"]
    assert twin.episode_id == original.episode_id  # resampled together by the bootstrap
    answers = {"pair0": "ANSWER: A", "pair0#swap": "ANSWER: B",       # consistent and right
               "pair1": "ANSWER: A", "pair1#swap": "ANSWER: A",       # says A whatever the order
               "pair2": "ANSWER: tie", "pair2#swap": "ANSWER: tie",   # consistent
               "pair3": "A.", "pair3#swap": "ANSWER: B"}              # invalid on one side
    report = score_records(task, _records(list(answers), list(answers.values())))
    assert report.overall["order_consistency"].value == pytest.approx(2 / 4)
    assert report.overall["a_share"].value == pytest.approx(3 / 5)  # A answers among the 5 A/B answers
    # Right: pair0 both orders, pair1#swap (gold A there), pair2 both, pair3#swap; wrong: pair1, pair3.
    assert report.overall["preference_accuracy"].value == pytest.approx(6 / 8)


def test_content_plans_follow_helm_order(tmp_path):
    prog = load_task(str(write_rows(tmp_path / "prog", progress_rows(1, 1)))).items[0]
    pref = load_task(str(write_rows(tmp_path / "pref", preference_rows(1)))).items[0]

    def shape(plan):
        return [p.text if isinstance(p, TextPart) else f"<{p.path.name}>" for p in plan]

    assert shape(content_plan(prog, "helm-progress-v1", "progress")) == [
        PROMPTS.get("helm-progress-v1"), "\nTask: stack block 0\n", "Left camera:", "<c0_left.mp4>",
        "Wrist camera:", "<c0_wrist.mp4>"]
    assert shape(content_plan(pref, "helm-preference-v1", "preference")) == [
        PROMPTS.get("helm-preference-v1"), "\nTask: put the cup 0 in the sink\n", "Policy A",
        "Policy A - Left camera:", "<a_left.mp4>", "Policy A - Wrist camera:", "<a_wrist.mp4>", "\n",
        "Policy B", "Policy B - Left camera:", "<b_left.mp4>", "Policy B - Wrist camera:", "<b_wrist.mp4>"]


@pytest.mark.parametrize("row, needle", [
    ({"task": "t", "progress": 101, "videos": {"Left": "a.mp4"}}, "'progress' must be a number from 0 to 100"),
    ({"task": "t", "progress": "50", "videos": {"Left": "a.mp4"}}, "'progress' must be a number"),
    ({"task": "t", "progress": 50, "videos": ["a.mp4"]}, "'videos' must map camera names"),
    ({"task": "t", "progress": 50, "videos": {"Left": "../a.mp4"}}, "must be a relative path"),
    ({"task": "t", "preference": "C", "videos_a": {"L": "a.mp4"}, "videos_b": {"L": "b.mp4"}},
     "'preference' must be one of A, B, tie"),
    ({"task": "t", "preference": "A", "videos_a": {"L": "a.mp4"}}, "'videos_b' must map camera names"),
    ({"task": "", "preference": "A", "videos_a": {"L": "a.mp4"}, "videos_b": {"L": "b.mp4"}}, "'task'"),
    ({"task": "t", "progress": 5, "reward": 3, "file_name": "a.mp4", "videos": {"L": "a.mp4"}},
     "exactly one label column"),
])
def test_bad_multi_rows_get_one_line_naming_the_line(tmp_path, row, needle):
    root = tmp_path / "d"
    root.mkdir()
    (root / "metadata.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(RRBenchError) as caught:
        from roboreward_bench.data.local import load_local_dataset
        load_local_dataset(root)
    assert needle in str(caught.value) and "metadata.jsonl:1" in str(caught.value)


def test_a_folder_holds_one_protocol(tmp_path):
    rows = progress_rows(1, 1) + preference_rows(1)
    process = rrbench("eval", "--task", str(write_rows(tmp_path / "mixed", rows)), "--model", "constant:3")
    assert_one_line_error(process, "metadata.jsonl:2", "preference row in a progress dataset")


def test_missing_preference_video_fails_that_item_and_the_run_goes_on(tmp_path):
    data = write_rows(tmp_path / "pairs", preference_rows(3), skip_videos=("pair1/b_wrist.mp4",))
    process = rrbench("eval", "--task", str(data), "--model", "constant:3", "--output-dir", str(tmp_path / "run"),
                      "--no-progress")
    assert process.returncode == 1, process.stderr
    assert "pair1: " in process.stderr and "b_wrist.mp4: video file not found" in process.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["counts"] == {**results["counts"], "items": 3, "errors": 1}
    assert results["notes"]["invalid_by_reason"]["error"] == 1
    assert results["headline"] == "preference_accuracy" and results["headline_direction"] == "higher"
    lines = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert sorted(r["item_id"] for r in lines) == ["pair0", "pair1", "pair2"]


@pytest.mark.parametrize("extra, needle", [
    ("protocol: progress\nvideo_position: after\n", "'video_position' applies to the discrete protocol only"),
    ("swap: true\n", "'swap' applies to the preference protocol only"),
    ("frames: {whole_video: true, num_frames: 8}\n", "takes no num_frames"),
    ("generation: {max_tokens: 0}\n", "generation.max_tokens"),
    ("generation: {temperature: -1}\n", "generation.temperature"),
    ("protocol: ranking\n", "protocol"),
    ("protocol: preference\nheadline: accuracyy\n", "Did you mean 'preference_accuracy'"),
])
def test_bad_protocol_settings_get_one_line(tmp_path, extra, needle):
    spec = tmp_path / "t.yaml"
    spec.write_text(f"name: t\nsource: {{kind: local, path: {tmp_path}}}\n" + extra)
    process = rrbench("eval", "--task", str(spec), "--model", "constant:3")
    assert_one_line_error(process, "t.yaml", needle)


def test_protocol_defaults_come_from_helm():
    from roboreward_bench.tasks.spec import task_spec_from_dict

    def spec(protocol):
        return task_spec_from_dict({"name": "t", "protocol": protocol, "source": {"kind": "local", "path": "."}},
                                   "t", Path("."))
    progress, preference, discrete = spec("progress"), spec("preference"), spec("discrete")
    assert (progress.prompt, progress.parser, progress.generation.max_tokens, progress.frames.whole_video,
            progress.headline) == ("helm-progress-v1", "helm", 1024, True, "progress_mae")
    assert (preference.prompt, preference.parser, preference.generation.max_tokens, preference.headline) == \
        ("helm-preference-v1", "helm-preference", 1024, "preference_accuracy")
    assert (discrete.generation.max_tokens, discrete.generation.temperature, discrete.frames.whole_video) == \
        (5000, 0.0, False)
