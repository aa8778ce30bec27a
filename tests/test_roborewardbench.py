"""Task ``roborewardbench``: HF snapshot layout, HELM parity, offline errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.data.loading import load_task
from roboreward_bench.evaluation.scoring import score_records
from roboreward_bench.parsing import parse_helm
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.tasks.spec import load_task_spec
from video_fixtures import write_dataset

REPO = Path(__file__).resolve().parents[1]
SPEC = load_task_spec(REPO / "tasks" / "roborewardbench.yaml")

# Unbalanced on purpose: macro and micro MAE must differ.
ROWS = (
    [{"file_name": f"bridge/ep{i}.mp4", "task": "put the spoon in the pot", "reward": 5} for i in range(6)]
    + [{"file_name": "bridge/ep0_attempt_1_score_2.mp4", "task": "put the spoon in the pot", "reward": 2},
       {"file_name": "bridge/ep0_attempt_2_score_3.mp4", "task": "put the spoon in the pot", "reward": 3}]
    + [{"file_name": "droid/a.mp4", "task": "open the drawer", "reward": 1},
       {"file_name": "droid/a_attempt_1_score_4.mp4", "task": "open the drawer", "reward": 4}]
    + [{"file_name": "robo_arena/x.mp4", "task": "wipe the table", "reward": 2}]
    + [{"file_name": "utokyo_xarm_bimanual/y.mp4", "task": "fold the towel", "reward": 4}]
)


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory) -> Path:
    """An HF cache holding the dataset at the pinned revision, as snapshot_download leaves it."""
    home = tmp_path_factory.mktemp("hf_home")
    repo = home / "hub" / "datasets--teetone--RoboReward"
    write_dataset(repo / "snapshots" / SPEC.source.revision / "test", ROWS)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(SPEC.source.revision)
    return home


def offline(home: Path) -> dict:
    return {"HF_HOME": str(home), "HF_HUB_OFFLINE": "1"}


def test_spec_is_pinned_and_helm_shaped():
    assert SPEC.source.repo == "teetone/RoboReward" and SPEC.source.split == "test"
    assert len(SPEC.source.revision) == 40 and int(SPEC.source.revision, 16) >= 0
    assert (SPEC.prompt, SPEC.parser, SPEC.invalid_rule.abs_error, SPEC.headline) == \
        ("roboreward-v1", "helm", 4.0, "mae_macro")
    # HELM's discrete protocol (shared/PROTOCOLS.md §1): text first, the whole MP4, 5000 tokens at T=0.
    assert SPEC.version == 2 and SPEC.protocol == "discrete" and SPEC.video_position == "after"
    assert SPEC.frames.whole_video is True
    assert SPEC.generation.describe() == {"max_tokens": 5000, "temperature": 0.0}


# HELM's 23 subset values (shared/PROTOCOLS.md §1), as they appear in run_entries_video_understanding.conf.
HELM_SUBSETS = (
    "robo_arena austin_sirius_dataset_converted_externally_to_rlds berkeley_autolab_ur5 berkeley_fanuc_manipulation "
    "berkeley_mvp_converted_externally_to_rlds berkeley_rpt_converted_externally_to_rlds bridge cmu_play_fusion "
    "dlr_edan_shared_control_converted_externally_to_rlds droid fractal20220817_data "
    "iamlab_cmu_pickup_insert_converted_externally_to_rlds jaco_play kaist_nonprehensile_converted_externally_to_rlds "
    "roboturk stanford_hydra_dataset_converted_externally_to_rlds taco_play tokyo_u_lsmo_converted_externally_to_rlds "
    "ucsd_kitchen_dataset_converted_externally_to_rlds ucsd_pick_and_place_dataset_converted_externally_to_rlds "
    "utokyo_pr2_tabletop_manipulation_converted_externally_to_rlds utokyo_xarm_bimanual_converted_externally_to_rlds "
    "viola").split()


def test_every_helm_subset_has_a_display_name():
    assert len(HELM_SUBSETS) == 23
    assert sorted(SPEC.subset_names) == sorted(HELM_SUBSETS)
    assert all(name.strip() for name in SPEC.subset_names.values())


def _short(value: str) -> str:
    """How a copy might shorten a value: drop the OXE suffix, the dataset word and the date."""
    for cut in ("_converted_externally_to_rlds", "_dataset", "20220817_data"):
        value = value.replace(cut, "")
    return value


@pytest.mark.parametrize("naming", ["helm", "short"])
def test_folders_in_helm_or_short_naming_load_as_helm_values(naming, tmp_path):
    folders = HELM_SUBSETS if naming == "helm" else [_short(v) for v in HELM_SUBSETS]
    if naming == "short":
        assert sum(f != v for f, v in zip(folders, HELM_SUBSETS)) == 13
    rows = [{"file_name": f"{folder}/ep{i}.mp4", "task": "do it", "reward": 1 + i % 5} for i, folder in enumerate(folders)]
    data = write_dataset(tmp_path / naming / "test", rows)
    task = load_task("roborewardbench", data_dir=data.parent)
    assert sorted({item.subset for item in task.items}) == sorted(HELM_SUBSETS)
    assert "unmatched_subsets" not in task.notes


def test_an_unknown_folder_is_kept_and_listed(tmp_path):
    rows = [{"file_name": "bridge/a.mp4", "task": "t", "reward": 3}, {"file_name": "my_lab/b.mp4", "task": "t", "reward": 2}]
    task = load_task("roborewardbench", data_dir=write_dataset(tmp_path / "d", rows))
    assert {item.subset for item in task.items} == {"bridge", "my_lab"}
    assert task.notes["unmatched_subsets"] == "my_lab"


def test_snapshot_loads_with_episode_ids_from_names(hf_home):
    # A fresh interpreter: huggingface_hub reads HF_HOME when it is first imported.
    script = ("import json; from roboreward_bench.data.loading import load_task; t = load_task('roborewardbench'); "
              "print(json.dumps({'rev': t.data_revision, 'items': {i.item_id: [i.subset, i.episode_id] "
              "for i in t.items}}))")
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env={**os.environ, **offline(hf_home)})
    assert process.returncode == 0, process.stderr
    loaded = json.loads(process.stdout)
    assert loaded["rev"] == SPEC.source.revision
    by_id = loaded["items"]
    # Short folder names map onto HELM's subset values.
    assert {subset for subset, _ in by_id.values()} == {"bridge", "droid", "robo_arena",
                                                        "utokyo_xarm_bimanual_converted_externally_to_rlds"}
    assert by_id["bridge/ep0_attempt_2_score_3.mp4"][1] == "bridge/ep0.mp4"
    assert by_id["droid/a_attempt_1_score_4.mp4"][1] == by_id["droid/a.mp4"][1]


def test_eval_from_cache_records_revision_and_macro_mae(hf_home, tmp_path):
    process = rrbench("eval", "--task", "roborewardbench", "--model", "constant:3", "--output-dir",
                      str(tmp_path / "run"), "--no-progress", env=offline(hf_home))
    assert process.returncode == 0, process.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["task"]["data_revision"] == SPEC.source.revision
    per_subset = {}
    for row in ROWS:
        per_subset.setdefault(row["file_name"].split("/")[0], []).append(abs(3 - row["reward"]))
    macro = np.mean([np.mean(v) for v in per_subset.values()])
    micro = np.mean([e for v in per_subset.values() for e in v])
    assert macro != pytest.approx(micro)
    assert results["metrics"]["mae_macro"]["value"] == pytest.approx(macro)
    assert results["metrics"]["mae_micro"]["value"] == pytest.approx(micro)


def test_data_dir_copy_is_used(hf_home, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(hf_home / "hub" / "datasets--teetone--RoboReward" / "snapshots" / SPEC.source.revision, copy)
    for data_dir in (copy, copy / "test"):
        process = rrbench("eval", "--task", "roborewardbench", "--model", "random", "--data-dir", str(data_dir),
                          "--output-dir", str(tmp_path / data_dir.name), "--no-progress",
                          env=offline(tmp_path / "empty_home"))
        assert process.returncode == 0, process.stderr


def test_offline_without_data_fails_before_the_model(tmp_path):
    # The model path does not exist either: the data error must come first, proving no model loads.
    process = rrbench("eval", "--task", "roborewardbench", "--model", "hf:/nonexistent/model",
                      env=offline(tmp_path / "empty_home"))
    line = assert_one_line_error(process, "teetone/RoboReward@", "not downloaded",
                                 "rrbench data pull roborewardbench", "--data-dir")
    assert "nonexistent" not in line
    pull = rrbench("data", "pull", "roborewardbench", env=offline(tmp_path / "empty_home"))
    assert_one_line_error(pull, "offline")


# (raw model output, gold label, parsed value by HELM's rule, absolute error HELM assigns)
PARITY = [
    ("ANSWER: 5", 5, 5.0, 0.0),
    ("ANSWER: 4", 5, 4.0, 1.0),
    ("answer: 1", 5, 1.0, 4.0),
    ("Answer : 2", 3, 2.0, 1.0),
    ("5", 4, 5.0, 1.0),
    ("  3\n", 3, 3.0, 0.0),
    ("The gripper holds the cup.\nANSWER: 3", 5, 3.0, 2.0),
    ("ANSWER: 2\nANSWER: 5", 5, 2.0, 3.0),
    ("ANSWER: 4.5", 5, 4.5, 0.5),
    ("ANSWER: 7", 5, 7.0, 2.0),
    ("ANSWER: 0", 1, 0.0, 1.0),
    ("ANSWER: -3", 1, -3.0, 4.0),
    ("ANSWER: 12", 1, 12.0, 11.0),  # unclamped: worse than the invalid penalty
    ("ANSWER: five", 3, None, 4.0),
    ("", 2, None, 4.0),
    ("I cannot tell.", 1, None, 4.0),
    ("3rd frame shows success", 5, None, 4.0),
    ("1.5x faster", 2, 1.0, 1.0),
    ("4 out of 5", 4, 4.0, 0.0),
    ("Score: 4", 4, None, 4.0),
    ("final answer: 4", 4, 4.0, 0.0),
    ("ANSWERS: 4", 4, None, 4.0),
    ("ANSWER:\n\n2", 2, 2.0, 0.0),
    ("2\nANSWER: 4", 2, 4.0, 2.0),
    ("ANSWER: 3.", 3, 3.0, 0.0),
    ("ANSWER: .5", 1, None, 4.0),
    ("-1", 1, -1.0, 2.0),
]


def test_helm_parity_table(tmp_path):
    assert len(PARITY) >= 25
    rows = [{"file_name": f"s{i % 3}/v{i}.mp4", "task": "t", "reward": gold} for i, (_, gold, _, _) in enumerate(PARITY)]
    root = tmp_path / "d"
    root.mkdir()
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_task(str(root))
    records = []
    for row, (raw, _, parsed, _) in zip(rows, PARITY):
        assert parse_helm(raw).value == parsed, raw
        records.append(PredictionRecord(item_id=row["file_name"], raw_text=raw, parsed=None, valid=False))
    report = score_records(task, records)
    assert report.overall["mae_micro"].value == pytest.approx(np.mean([e for *_, e in PARITY]))
    assert report.counts["invalid"] == sum(p is None for _, _, p, _ in PARITY)
