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
    (GOOD.replace("version: 2", "version: two"), "version: must be an integer (got 'two')"),
    ("- a list\n", "must be a YAML mapping"),
    # every field is checked for type and range, and the message names the field
    (GOOD + "invalid_rule: {kind: penalty, abs_error: -1.5}\n", "invalid_rule.abs_error: must be > 0 (got -1.5)"),
    (GOOD + "invalid_rule: {abs_error: .inf}\n", "invalid_rule.abs_error: must be a finite number"),
    (GOOD + "invalid_rule: {kind: zero}\n", "invalid_rule.kind: must be 'penalty'"),
    (GOOD.replace("metrics: [regression, ordinal]", "metrics: 5"), "metrics: must be a list"),
    (GOOD.replace("metrics: [regression, ordinal]", "metrics: []"), "metrics: must list at least one"),
    (GOOD.replace("[regression, ordinal]", "[regression, regression]"), "metrics: lists 'regression' twice"),
    (GOOD.replace("{num_frames: 8}", "{fps: 0}"), "frames.fps: must be > 0 (got 0)"),
    (GOOD.replace("{num_frames: 8}", "{fps: -2, max_frames: 4}"), "frames.fps: must be > 0"),
    (GOOD.replace("{num_frames: 8}", "{fps: 2, max_frames: 0}"), "frames.max_frames: must be >= 1"),
    (GOOD.replace("{num_frames: 8}", "{num_frames: 8, fps: 2}"), "frames: give 'num_frames' or 'fps', not both"),
    (GOOD.replace("{num_frames: 8}", "{num_frames: 8, max_frames: 4}"), "'max_frames' applies only with 'fps'"),
    (GOOD.replace("{num_frames: 8}", "{num_frame: 8}"), "frames: unknown key 'num_frame'. Did you mean 'num_frames'?"),
    (GOOD.replace("{num_frames: 8}", "{num_frames: 2.5}"), "frames.num_frames: must be an integer (got 2.5)"),
    (GOOD.replace("{num_frames: 8}", "8"), "frames: must be a mapping (got 8)"),
    (GOOD.replace("version: 2", "version: true"), "version: must be an integer (got True)"),
    (GOOD.replace("version: 2", "version: 0"), "version: must be >= 1"),
    (GOOD + "success_threshold: 7\n", "success_threshold: must be <= 5 (got 7)"),
    (GOOD + "success_threshold: '5'\n", "success_threshold: must be a number"),
    (GOOD + "bootstrap: {resamples: 0}\n", "bootstrap.resamples: must be >= 1"),
    (GOOD + "bootstrap: {seed: -1}\n", "bootstrap.seed: must be >= 0"),
    (GOOD + "bootstrap: {seed: '3'}\n", "bootstrap.seed: must be an integer"),
    (GOOD + "bootstrap: {resample: 10}\n", "bootstrap: unknown key 'resample'. Did you mean 'resamples'?"),
    (GOOD + "reference: {}\n", "reference: needs 'path'"),
    (GOOD + "reference: {label_counts: {6: 3}}\n", "reference.label_counts: key 6 must be <= 5"),
    (GOOD + "reference: {label_counts: {1: -3}}\n", "reference.label_counts[1]: must be >= 0"),
    (GOOD + "video_position: middle\n", "video_position: must be 'before' or 'after'"),
    (GOOD + "subset_names: {a: 1}\n", "subset_names.a: must be a string"),
    (GOOD + "subset_key: ''\n", "subset_key: must not be empty"),
    (GOOD + "require_verified: 'yes'\n", "require_verified: must be true or false"),
    (GOOD + "headline: 3\n", "headline: must be a string"),
    (GOOD + "path: elsewhere.yaml\n", "unknown key 'path'"),
    (GOOD.replace("name: demo", "name: ../up"), "name: must not start with '.'"),
    (GOOD.replace("name: demo\n", ""), "name: is required"),
    (GOOD.replace("{kind: local, path: data}", "{kind: lcoal, path: data}"), "source.kind: must be 'local' or 'hf'"),
    (GOOD.replace("{kind: local, path: data}", "{kind: hf, repo: a/b}"), "source: an hf source needs"),
    (GOOD.replace("{kind: local, path: data}", "{kind: local, path: 3}"), "source.path: must be a path"),
    (GOOD.replace("{kind: local, path: data}", "{kind: local, repo: a/b, path: d}"), "a local source takes 'path'"),
    (GOOD + "version: 3\n", "key 'version' appears twice"),
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


def test_non_utf8_and_folder_task_files_are_one_line(tmp_path):
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(GOOD.replace("demo", "d\xe9mo").encode("latin-1"))
    with pytest.raises(TaskError, match=r"latin.yaml: not UTF-8 text \(byte 0xe9"):
        load_task_spec(bad)
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(TaskError, match="dir.yaml: is a folder"):
        load_task_spec(tmp_path / "dir.yaml")


def test_spec_is_frozen_and_hashable(tmp_path):
    spec = load_task_spec(write(tmp_path, GOOD))
    with pytest.raises(ValueError):
        spec.version = 3
    assert hash(spec) == hash(load_task_spec(write(tmp_path, GOOD, "again.yaml")))


def test_canonical_keeps_its_pre_pydantic_shape(tmp_path):
    """The canonical form (fingerprints, request cache keys) must not move for an unchanged YAML."""
    spec = load_task_spec(write(tmp_path, GOOD.replace("{num_frames: 8}", "{fps: 2}")))
    assert spec.canonical() == {
        "name": "demo", "version": 2, "prompt": "roboreward-v1", "video_position": "before",
        "frames": {"num_frames": None, "fps": 2.0, "max_frames": 32}, "parser": "helm",
        "invalid_rule": {"kind": "penalty", "abs_error": 4.0}, "subset_key": "subset",
        "metrics": ["regression", "ordinal"], "headline": "mae_macro", "success_threshold": 5.0,
        "source": {"kind": "local", "repo": None, "revision": None, "split": "test"}, "require_verified": False}
    assert spec.frames.describe() == {"num_frames": None, "fps": 2.0, "max_frames": 32}


def test_reference_counts_and_path(tmp_path):
    spec = load_task_spec(write(tmp_path, GOOD + "reference: {label_counts: {1: 3, 5: 2}, source: train}\n"))
    assert spec.reference is None and spec.reference_counts == {1: 3, 5: 2} and spec.reference_source == "train"
    spec = load_task_spec(write(tmp_path, GOOD + "reference: {path: ref}\n"))
    assert spec.reference == (tmp_path / "ref").resolve() and spec.reference_counts == {}
