"""``rrbench eval`` end to end on real MP4s: outputs, errors, resume, shards, re-scoring."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate
from roboreward_bench.results.predictions import read_predictions
from video_fixtures import small_benchmark_rows, write_dataset


def run_eval(dataset: Path, out: Path, *extra: str):
    return rrbench("eval", "--task", str(dataset), "--model", "random", "--output-dir", str(out),
                   "--no-progress", *extra)


def load(out: Path) -> tuple[dict, list]:
    return json.loads((out / "results.json").read_text()), read_predictions(out / "predictions.jsonl")


def test_eval_writes_documented_outputs(small_dataset, tmp_path):
    process = run_eval(small_dataset, tmp_path / "run", "--by-subset")
    assert process.returncode == 0, process.stderr
    results, records = load(tmp_path / "run")
    assert len(records) == results["counts"]["items"] == 20
    assert {"task", "model", "frames", "prompt_version", "seed", "counts", "metrics", "per_subset",
            "schema_version", "tool_version", "started_at", "finished_at"} <= set(results)
    assert results["task"]["fingerprint"] and results["model"]["fingerprint"]
    mae = results["metrics"]["mae_macro"]
    assert mae["ci_low"] <= mae["value"] <= mae["ci_high"]
    assert set(results["per_subset"]) == {"alpha", "beta", "gamma"}
    assert "MAE (macro)" in process.stdout and "gamma" in process.stdout
    assert all(r.valid and 1 <= r.parsed <= 5 for r in records)


def test_random_baseline_is_seeded_per_item(small_dataset, tmp_path):
    answers = {}
    for seed in (0, 0, 1):
        out = tmp_path / f"s{seed}-{len(answers)}"
        assert run_eval(small_dataset, out, "--seed", str(seed)).returncode == 0
        answers.setdefault(seed, []).append({r.item_id: r.parsed for r in load(out)[1]})
    assert answers[0][0] == answers[0][1]
    assert answers[0][0] != answers[1][0]
    limited = tmp_path / "limited"
    assert run_eval(small_dataset, limited, "--limit", "5").returncode == 0
    assert all(answers[0][0][r.item_id] == r.parsed for r in load(limited)[1])


def test_default_output_dir_is_deterministic(small_dataset, tmp_path):
    first = rrbench("eval", "--task", str(small_dataset), "--model", "constant:3", "--no-progress", cwd=tmp_path)
    second = rrbench("eval", "--task", str(small_dataset), "--model", "constant:3", "--no-progress", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    runs = list((tmp_path / "rrbench_runs").glob("*/*"))
    assert len(runs) == 1
    assert len(read_predictions(runs[0] / "predictions.jsonl")) == 20


def test_broken_videos_are_errors_scored_with_max_penalty(tmp_path):
    rows = small_benchmark_rows()
    dataset = write_dataset(tmp_path / "data", rows)
    (dataset / "beta/episode_1.mp4").write_bytes(b"")
    good = (dataset / "gamma/episode_2.mp4").read_bytes()
    (dataset / "gamma/episode_2.mp4").write_bytes(good[: len(good) // 3])
    (dataset / "alpha/episode_3.mp4").unlink()
    # Missing and empty videos stop the run before any model is built ...
    refused = run_eval(dataset, tmp_path / "refused")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "4 of 20 items have an unusable video" in refused.stderr and "beta/episode_1.mp4: empty" in refused.stderr
    assert not (tmp_path / "refused").exists()
    # ... unless errors are allowed; a video that decodes short fails its items at sampling time.
    process = run_eval(dataset, tmp_path / "run", "--allow-errors")
    assert process.returncode == 0
    assert "Traceback" not in process.stderr
    results, records = load(tmp_path / "run")
    failed = {r.item_id for r in records if r.error}
    assert failed == {"beta/episode_1.mp4", "beta/episode_1.mp4#clip10", "gamma/episode_2.mp4",
                      "gamma/episode_2.mp4#clip10", "alpha/episode_3.mp4", "alpha/episode_3.mp4#clip10"}
    for item_id in failed:
        assert item_id in process.stderr
    assert results["counts"]["errors"] == 6 and results["counts"]["items"] == 20


def test_errored_items_never_score_better_than_answers(tmp_path):
    rows = [{"file_name": f"s/v{i}.mp4", "task": "t", "reward": 1} for i in range(4)]
    dataset = write_dataset(tmp_path / "data", rows, videos={f"s/v{i}.mp4": 8 for i in range(4)})
    (dataset / "s/v0.mp4").unlink()
    process = rrbench("eval", "--task", str(dataset), "--model", "constant:1", "--output-dir", str(tmp_path / "r"),
                      "--no-progress", "--allow-errors")
    assert process.returncode == 0
    results, _ = load(tmp_path / "r")
    assert results["metrics"]["mae_micro"]["value"] == pytest.approx(4 / 4)


def test_resume_after_crash_continues_without_loss_or_duplicates(small_dataset, tmp_path):
    full = tmp_path / "full"
    assert run_eval(small_dataset, full).returncode == 0
    crashed = tmp_path / "crashed"
    shutil.copytree(full, crashed)
    lines = (crashed / "predictions.jsonl").read_text().splitlines(keepends=True)
    (crashed / "predictions.jsonl").write_text("".join(lines[:7]) + lines[7][:15])  # half-written line
    (crashed / "results.json").unlink()
    assert run_eval(small_dataset, crashed).returncode == 0
    records = load(crashed)[1]
    assert sorted(r.item_id for r in records) == sorted(r.item_id for r in load(full)[1])
    assert load(crashed)[0]["metrics"] == load(full)[0]["metrics"]


def test_output_dir_of_another_run_is_refused(small_dataset, tmp_path):
    assert run_eval(small_dataset, tmp_path / "run").returncode == 0
    process = rrbench("eval", "--task", str(small_dataset), "--model", "constant:2", "--output-dir",
                      str(tmp_path / "run"), "--no-progress")
    assert_one_line_error(process, "holds a different run", "--fresh")
    fresh = rrbench("eval", "--task", str(small_dataset), "--model", "constant:2", "--output-dir",
                    str(tmp_path / "run"), "--no-progress", "--fresh")
    assert fresh.returncode == 0
    assert {r.parsed for r in load(tmp_path / "run")[1]} == {2.0}


def test_shards_merge_into_the_full_result(small_dataset, tmp_path):
    assert run_eval(small_dataset, tmp_path / "full").returncode == 0
    for index in (1, 2, 3):
        assert run_eval(small_dataset, tmp_path / f"shard{index}", "--shard", f"{index}/3").returncode == 0
    shard_ids = [set(r.item_id for r in load(tmp_path / f"shard{i}")[1]) for i in (1, 2, 3)]
    assert sum(map(len, shard_ids)) == 20 and len(set().union(*shard_ids)) == 20
    merged = rrbench("merge", *(str(tmp_path / f"shard{i}") for i in (1, 2, 3)), "--output-dir", str(tmp_path / "m"))
    assert merged.returncode == 0, merged.stderr
    assert load(tmp_path / "m")[0]["metrics"] == load(tmp_path / "full")[0]["metrics"]
    incomplete = rrbench("merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--output-dir", str(tmp_path / "x"))
    assert_one_line_error(incomplete, "do not cover 1..3 exactly once")


def test_decodes_once_per_video(small_dataset, tmp_path):
    outcome = evaluate(EvalConfig(task=str(small_dataset), model="random", model_args={},
                                  output_dir=tmp_path / "run", progress=False))
    assert outcome.items == 20
    assert outcome.decodes == len({p for p in small_dataset.rglob("*.mp4")}) == 12


def test_non_standard_frames_are_flagged(small_dataset, tmp_path):
    assert run_eval(small_dataset, tmp_path / "run", "--num-frames", "4").returncode == 0
    results = load(tmp_path / "run")[0]
    assert results["non_standard"] is True and "num_frames=4" in results["deviations"][0]
    assert results["frames"]["num_frames"] == 4


def test_majority_baseline_uses_reference_labels(small_dataset, tmp_path):
    dev = write_dataset(tmp_path / "dev", [{"file_name": f"d/v{i}.mp4", "task": "t", "reward": r}
                                            for i, r in enumerate([2, 4, 4, 1, 4, 2])])
    task = tmp_path / "t.yaml"
    task.write_text(f"name: t\nsource: {{kind: local, path: {small_dataset}}}\nreference: {{path: {dev}}}\n")
    assert rrbench("eval", "--task", str(task), "--model", "majority", "--output-dir", str(tmp_path / "r"),
                   "--no-progress").returncode == 0
    results, records = load(tmp_path / "r")
    assert {r.parsed for r in records} == {4.0}
    assert results["model"]["details"]["reference_counts"] == {"1": 1, "2": 2, "4": 3}
    no_reference = rrbench("eval", "--task", str(small_dataset), "--model", "majority", "--no-progress",
                           "--output-dir", str(tmp_path / "r2"))
    assert_one_line_error(no_reference, "majority baseline needs train or dev labels")


@pytest.mark.parametrize("model,needle", [
    ("randon", "unknown model 'randon'. Did you mean 'random'?"),
    ("constant:9", "constant baseline needs a label 1–5"),
])
def test_bad_model_names(small_dataset, tmp_path, model, needle):
    process = rrbench("eval", "--task", str(small_dataset), "--model", model, "--output-dir", str(tmp_path / "r"))
    assert_one_line_error(process, needle)


def test_bad_task_inputs(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: x\nsource: {kind: local, path: .\n")
    assert_one_line_error(rrbench("eval", "--task", str(bad_yaml), "--model", "random"), str(bad_yaml), "malformed YAML")
    assert_one_line_error(rrbench("eval", "--task", "rrb-sin", "--model", "random"), "unknown task 'rrb-sin'")
    bad_label = write_dataset(tmp_path / "d", [{"file_name": "a/v.mp4", "task": "t", "reward": 1}])
    (bad_label / "metadata.jsonl").write_text('{"file_name": "a/v.mp4", "task": "t", "reward": 9}\n')
    assert_one_line_error(rrbench("eval", "--task", str(bad_label), "--model", "random"),
                          "metadata.jsonl:1", "integer 1–5, got 9")


def test_cached_rerun_answers_before_decoding(small_dataset, tmp_path):
    from roboreward_bench.models import registry
    from roboreward_bench.models.baselines import RandomBaseline

    calls = []

    class CountingRandom(RandomBaseline):
        def generate(self, requests):
            calls.extend(r.item_id for r in requests)
            return super().generate(requests)

    registry.register_model("counting-random")(lambda argument, args, context: CountingRandom(seed=context.seed))
    try:
        config = EvalConfig(task=str(small_dataset), model="counting-random", model_args={},
                            output_dir=tmp_path / "run", cache_path=tmp_path / "cache.sqlite", progress=False)
        first = evaluate(config)
        assert len(calls) == 20 and first.decodes == 12
        again = evaluate(EvalConfig(**{**config.__dict__, "fresh": True}))
    finally:
        registry.MODELS.remove("counting-random")
    assert len(calls) == 20  # the model was not asked again
    assert again.decodes == 0  # and no frame was decoded
    records = read_predictions(tmp_path / "run" / "predictions.jsonl")
    assert all(r.cached for r in records) and len(records) == 20
    assert again.results.metrics == first.results.metrics


def test_majority_baseline_from_label_counts(small_dataset, tmp_path):
    task = tmp_path / "t.yaml"
    task.write_text(f"name: t\nsource: {{kind: local, path: {small_dataset}}}\n"
                    "reference: {label_counts: {1: 5, 3: 9, 5: 9}, source: train counts}\n")
    assert rrbench("eval", "--task", str(task), "--model", "majority", "--output-dir", str(tmp_path / "r"),
                   "--no-progress").returncode == 0
    results, records = load(tmp_path / "r")
    assert {r.parsed for r in records} == {3.0}  # a tie goes to the lower label
    assert results["model"]["details"]["reference"] == "train counts"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: t\nsource: {{kind: local, path: {small_dataset}}}\nreference: {{label_counts: {{7: 1}}}}\n")
    assert_one_line_error(rrbench("eval", "--task", str(bad), "--model", "majority"), "label_counts")


@pytest.mark.parametrize("counts,median", [
    ({1: 5, 3: 9, 5: 9}, 3),      # 23 labels: the 12th is a 3, while the majority is also 3 (tie to lower)
    ({1: 9, 2: 2, 5: 9}, 2),      # the median differs from the majority (1)
    ({1: 2, 4: 2}, 1),            # an even count takes the lower median
])
def test_median_baseline_answers_the_median_reference_label(small_dataset, tmp_path, counts, median):
    task = tmp_path / "t.yaml"
    listed = ", ".join(f"{k}: {v}" for k, v in counts.items())
    task.write_text(f"name: t\nsource: {{kind: local, path: {small_dataset}}}\n"
                    f"reference: {{label_counts: {{{listed}}}, source: train counts}}\n")
    assert rrbench("eval", "--task", str(task), "--model", "median", "--output-dir", str(tmp_path / "r"),
                   "--no-progress").returncode == 0
    results, records = load(tmp_path / "r")
    assert {r.parsed for r in records} == {float(median)}
    assert results["model"]["details"]["reference"] == "train counts"
    no_reference = rrbench("eval", "--task", str(small_dataset), "--model", "median", "--no-progress",
                           "--output-dir", str(tmp_path / "r2"))
    assert_one_line_error(no_reference, "median baseline needs train or dev labels")
