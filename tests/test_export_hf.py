"""``rrbench data export --format hf`` and ``data push --dry-run``, read back with ``datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.data.loading import load_task
from video_fixtures import write_dataset

datasets = pytest.importorskip("datasets")  # the [export] extra; a dev install has it


@pytest.fixture(scope="module")
def dev_export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "rrb-sim-dev"
    process = rrbench("data", "export", "rrb-sim-dev", "--format", "hf", "--out", str(out))
    assert process.returncode == 0, process.stderr
    assert "wrote" in process.stdout and "dev: 100 rows" in process.stdout
    return out


def test_export_loads_back_with_every_item_field_and_generator_fact(dev_export):
    loaded = load_task("rrb-sim-dev")
    rows = datasets.load_from_disk(str(dev_export))["dev"]
    assert len(rows) == len(loaded.items) == 100
    by_id = {row["item_id"]: row for row in rows}
    for item in loaded.items:
        row = by_id[item.item_id]
        assert (row["instruction"], row["label"], row["kind"], row["subset"], row["split"], row["episode_id"],
                row["group_id"], row["clip_end"]) == (item.instruction, item.label, item.kind, item.subset,
                                                      item.split, item.episode_id, item.group_id, item.clip_end)
        assert row["frame_labels"] == list(item.frame_labels)
        for key, value in item.metadata.items():  # generator facts, whatever the columns are
            assert row[key] == value or (isinstance(value, dict) and {k: row[key][k] for k in value} == value), key
        assert (dev_export / row["video_path"]).read_bytes() == item.video_path.read_bytes()


def test_card_has_stats_tables_rubric_license_citation_and_hub_configs(dev_export):
    card = (dev_export / "README.md").read_text()
    header = card.split("---")[1]
    assert "license: apache-2.0" in header and "split: dev" in header and "path: dev/*.arrow" in header
    stats = rrbench("data", "stats", "rrb-sim-dev").stdout
    tables = [block for block in stats.split("\n\n") if block.startswith("|")]
    assert len(tables) >= 4 and all(table.strip() in card for table in tables)
    assert "| 5 | Perfect Completion |" in card and (dev_export / "RUBRIC.md").is_file()
    assert "@software{rrbench" in card and "RoboReward" in card
    by_config = datasets.load_dataset(str(dev_export))  # the card's configs point at the Arrow files
    assert by_config["dev"]["item_id"] == datasets.load_from_disk(str(dev_export))["dev"]["item_id"]


def test_any_metadata_columns_export_including_mixed_types_and_several_splits(tmp_path):
    rows = [
        {"file_name": "a/ep0.mp4", "task": "open the drawer", "reward": 4, "split": "train", "group_id": "g0",
         "policy": {"kind": "noisy", "sigma": 0.5}, "odd": 3, "instruction": "shadowed"},
        {"file_name": "a/ep0.mp4", "task": "close the drawer", "reward": 1, "item_id": "cf", "split": "train",
         "kind": "counterfactual", "policy": {"kind": "stalled", "k": 20}, "odd": "three"},
        {"file_name": "b/ep1.mp4", "task": "push the puck", "reward": 5, "split": "val", "frame_labels": None,
         "new_v2_field": [1, 2]},
    ]
    data = write_dataset(tmp_path / "data", rows)
    out = tmp_path / "out"
    process = rrbench("data", "export", str(data), "--out", str(out), "--videos", "bytes")
    assert process.returncode == 0, process.stderr
    assert "columns stored as JSON text (mixed types): odd" in process.stdout
    loaded = datasets.load_from_disk(str(out))
    assert sorted(loaded) == ["train", "val"] and len(loaded["train"]) == 2 and len(loaded["val"]) == 1
    train = {row["item_id"]: row for row in loaded["train"]}
    first = train["a/ep0.mp4"]
    assert first["policy"] == {"kind": "noisy", "sigma": 0.5, "k": None}
    assert json.loads(first["odd"]) == 3 and json.loads(train["cf"]["odd"]) == "three"
    assert first["instruction"] == "open the drawer" and first["metadata_instruction"] == "shadowed"
    assert loaded["val"][0]["new_v2_field"] == [1, 2]
    assert first["video_bytes"] == (data / "a/ep0.mp4").read_bytes() and not (out / "videos").exists()


def test_export_refuses_to_clobber_and_overwrites_only_an_export(dev_export, tmp_path):
    process = rrbench("data", "export", "rrb-sim-dev", "--out", str(dev_export))
    assert_one_line_error(process, str(dev_export), "--overwrite")
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    process = rrbench("data", "export", "rrb-sim-dev", "--out", str(other), "--overwrite")
    assert_one_line_error(process, "only replaces an earlier export")
    assert (other / "notes.txt").read_text() == "keep me"


def test_push_dry_run_prints_files_and_card_and_uploads_nothing(tmp_path):
    process = rrbench("data", "push", "rrb-sim-dev", "--repo", "my-lab/rrb-sim-dev", "--dry-run",
                      env={"HF_HUB_OFFLINE": "1"})
    assert process.returncode == 0, process.stderr
    out = process.stdout
    assert "dry run: would create dataset repo my-lab/rrb-sim-dev (public)" in out
    for name in ("README.md", "RUBRIC.md", "dataset_dict.json", "dev/data-00000-of-00001.arrow",
                 "videos/articulated/door-close-s3000000-expert.mp4"):
        assert f"  {name}  " in out, name
    assert "--- README.md (dataset card) ---" in out and "# rrb-sim-dev: dev (100 items)" in out


def test_push_failures_are_one_line_without_the_token(tmp_path):
    process = rrbench("data", "push", "rrb-sim-dev", "--repo", "not a repo")
    assert_one_line_error(process, "--repo 'not a repo'", "ORG/NAME")
    secret = "hf_" + "x" * 34
    process = rrbench("data", "push", "rrb-sim-dev", "--repo", "my-lab/rrb-sim-dev",
                      env={"HF_HUB_OFFLINE": "1", "HF_TOKEN": secret})
    assert_one_line_error(process, "cannot upload to dataset repo my-lab/rrb-sim-dev", "--dry-run")
    assert secret not in process.stdout + process.stderr
