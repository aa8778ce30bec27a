"""Loading the local dataset format: defaults, and one clear line per bad row."""

import json

import pytest

from roboreward_bench.data.local import episode_id_from_file_name, load_local_dataset
from roboreward_bench.errors import DataError
from video_fixtures import write_dataset


def test_defaults_follow_the_documented_rules(small_dataset):
    items = {item.item_id: item for item in load_local_dataset(small_dataset).items}
    plain = items["alpha/episode_0.mp4"]
    assert plain.subset == "alpha"
    assert plain.clip_end is None
    assert plain.kind == "full"
    assert plain.episode_id == "alpha/episode_0.mp4"
    augmented = items["alpha/episode_0_attempt_1_score_%d.mp4" % plain.label]
    assert augmented.episode_id == plain.episode_id
    clip = items["alpha/episode_0.mp4#clip10"]
    assert clip.clip_end == 10 and clip.kind == "clip"


def test_episode_id_only_strips_augmentation_suffix():
    assert episode_id_from_file_name("bridge/a_attempt_12_score_3.mp4") == "bridge/a.mp4"
    assert episode_id_from_file_name("bridge/attempt_score.mp4") == "bridge/attempt_score.mp4"


def test_free_columns_become_metadata(tmp_path):
    root = write_dataset(tmp_path / "d", [{"file_name": "a/x.mp4", "task": "t", "reward": 2, "camera": "corner"}])
    (item,) = load_local_dataset(root).items
    assert item.metadata == {"camera": "corner"}


@pytest.mark.parametrize("row,needle", [
    ({"file_name": "a/x.mp4", "task": "t", "reward": 6}, "'reward' must be an integer 1–5, got 6"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": "3"}, "'reward' must be an integer 1–5"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": 2.5}, "'reward' must be an integer 1–5"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": True}, "'reward' must be an integer 1–5"),
    ({"file_name": "a/x.mp4", "task": "", "reward": 3}, "'task'"),
    ({"file_name": "../x.mp4", "task": "t", "reward": 3}, "inside the dataset folder"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": 3, "clip_end": -2}, "clip_end"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": 3, "kind": "weird"}, "kind must be one of"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": 3, "clip_end": 2, "frame_labels": [1, 2]}, "needs 3"),
    ({"file_name": "a/x.mp4", "task": "t", "reward": 3, "clip_end": 1, "frame_labels": [1, 2]}, "differs"),
])
def test_bad_rows_name_file_and_line(tmp_path, row, needle):
    good = {"file_name": "a/y.mp4", "task": "t", "reward": 1}
    root = write_dataset(tmp_path / "d", [good]) 
    (root / "metadata.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError) as info:
        load_local_dataset(root)
    message = str(info.value)
    assert f"{root / 'metadata.jsonl'}:2:" in message
    assert needle in message
    assert "\n" not in message


def test_duplicate_ids_and_bad_json_are_all_reported(tmp_path):
    root = write_dataset(tmp_path / "d", [{"file_name": "a/y.mp4", "task": "t", "reward": 1}])
    row = json.dumps({"file_name": "a/y.mp4", "task": "t", "reward": 1})
    (root / "metadata.jsonl").write_text(row + "\n" + row + "\n{not json\n")
    with pytest.raises(DataError) as info:
        load_local_dataset(root)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert ":2: duplicate item_id 'a/y.mp4' (first on line 1)" in lines[0]
    assert ":3: not valid JSON" in lines[1]


def test_missing_video_is_kept_and_reported(tmp_path):
    root = write_dataset(tmp_path / "d", [{"file_name": "a/y.mp4", "task": "t", "reward": 1}])
    with open(root / "metadata.jsonl", "a") as handle:
        handle.write(json.dumps({"file_name": "a/gone.mp4", "task": "t", "reward": 4}) + "\n")
    dataset = load_local_dataset(root)
    assert len(dataset.items) == 2
    assert dataset.missing_videos == ("a/gone.mp4",)


def test_not_a_dataset_folder(tmp_path):
    with pytest.raises(DataError, match="no metadata.jsonl"):
        load_local_dataset(tmp_path)
