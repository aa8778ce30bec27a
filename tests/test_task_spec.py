"""Task YAML loading, task resolution and fingerprints."""

import shutil

import pytest

from roboreward_bench.errors import TaskError
from roboreward_bench.data.loading import load_task
from roboreward_bench.tasks.registry import resolve_spec
from roboreward_bench.tasks.spec import load_task_spec

GOOD = """\
name: demo
version: 2
source: {kind: local, path: data}
frames: {num_frames: 8}
metrics: [regression, ordinal]
"""


def write(tmp_path, text, name="demo.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_spec_defaults_and_relative_source(tmp_path):
    spec = load_task_spec(write(tmp_path, GOOD))
    assert spec.version == 2 and spec.prompt == "roboreward-v1" and spec.parser == "helm"
    assert spec.frames.num_frames == 8
    assert spec.source.path == (tmp_path / "data").resolve()
    assert spec.invalid_rule.abs_error == 4.0


def test_fps_sampling(tmp_path):
    spec = load_task_spec(write(tmp_path, GOOD.replace("{num_frames: 8}", "{fps: 2, max_frames: 12}")))
    assert spec.frames.num_frames is None and spec.frames.fps == 2 and spec.frames.max_frames == 12


@pytest.mark.parametrize("text,needle", [
    ("name: [unclosed", "malformed YAML"),
    (GOOD.replace("[regression, ordinal]", "[regression, ordinl]"),
     "unknown metric group 'ordinl'. Did you mean 'ordinal'?"),
    (GOOD + "headline: mae_macr\n", "unknown headline metric 'mae_macr'. Did you mean 'mae_macro'"),
    (GOOD + "prompt: roboreward-v9\n", "unknown prompt 'roboreward-v9'"),
    (GOOD + "parser: regex\n", "unknown parser 'regex'"),
    (GOOD + "frame: {num_frames: 3}\n", "unknown key 'frame'. Did you mean 'frames'?"),
    (GOOD.replace("num_frames: 8", "num_frames: 0"), "frames.num_frames"),
    (GOOD.replace("version: 2", "version: two"), "'version' must be a positive integer"),
    ("- a list\n", "must be a YAML mapping"),
])
def test_bad_specs_get_one_line(tmp_path, text, needle):
    with pytest.raises(TaskError) as info:
        load_task_spec(write(tmp_path, text))
    assert needle in str(info.value)
    assert str(tmp_path / "demo.yaml") in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_task_name_suggests(monkeypatch, tmp_path):
    write(tmp_path, GOOD)
    monkeypatch.setenv("RRBENCH_TASKS_DIR", str(tmp_path))
    with pytest.raises(TaskError, match="Did you mean 'demo'"):
        resolve_spec("dmeo")


def test_dataset_folder_gets_default_protocol(small_dataset):
    task = load_task(str(small_dataset))
    assert task.spec.prompt == "roboreward-v1" and task.spec.parser == "helm"
    assert {item.subset for item in task.items} == {"alpha", "beta", "gamma"}


def test_fingerprint_changes_with_labels_and_spec(small_dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_dataset, copy)
    before = load_task(str(copy)).fingerprint
    assert load_task(str(copy)).fingerprint == before
    meta = copy / "metadata.jsonl"
    meta.write_text(meta.read_text().replace('"reward": 1', '"reward": 2', 1))
    assert load_task(str(copy)).fingerprint != before
    yaml_path = write(tmp_path, GOOD.replace("path: data", f"path: {copy}"))
    with_spec = load_task(str(yaml_path)).fingerprint
    changed = write(tmp_path, GOOD.replace("path: data", f"path: {copy}").replace("num_frames: 8", "num_frames: 9"))
    assert load_task(str(changed)).fingerprint != with_spec
