"""``rrbench data audit`` on real local folders: it finds a length leak, passes a clean set, counts copies."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.data.audit import Probe, cue_gains, macro_mae
from video_fixtures import write_dataset


def _rows(n_videos: int, label_of, length_of, seed: int = 0, clips: bool = True):
    """``n_videos`` episodes in 3 subsets, each a full item plus (optionally) a clip; cluster = group."""
    rng = np.random.default_rng(seed)
    rows, videos = [], {}
    for v in range(n_videos):
        subset = ("alpha", "beta", "gamma")[v % 3]
        name = f"{subset}/ep{v}.mp4"
        label = label_of(v, rng)
        videos[name] = length_of(v, label)
        rows.append({"file_name": name, "task": f"do thing {v % 4}", "reward": label, "item_id": f"ep{v}/full",
                     "kind": "full", "group_id": f"g{v // 2}"})
        if clips:
            rows.append({"file_name": name, "task": f"do thing {v % 4}", "reward": int(rng.integers(1, 6)),
                         "item_id": f"ep{v}/clip", "kind": "clip", "clip_end": 3, "group_id": f"g{v // 2}"})
    return rows, videos


def test_a_label_told_by_the_video_length_is_named_as_the_worst_leak(tmp_path):
    # Successes (5) stop early, failures run the whole horizon: v1's leak in miniature.
    rows, videos = _rows(60, lambda v, rng: 5 if v % 2 else int(rng.integers(1, 4)),
                         lambda v, label: 8 if label == 5 else 16)
    root = write_dataset(tmp_path / "leaky", rows, videos)
    process = rrbench("data", "audit", str(root), "--cluster", "group_id")
    assert process.returncode == 1, process.stderr
    last = process.stdout.strip().splitlines()[-1]
    assert last.startswith("worst leak: ") and "LEAK" in last
    assert any(cue in last for cue in ("frame_count", "duration", "file_size", "frames_shown"))


def test_a_set_whose_files_say_nothing_passes(tmp_path):
    rows, videos = _rows(60, lambda v, rng: int(rng.integers(1, 6)), lambda v, label: 12)
    root = write_dataset(tmp_path / "clean", rows, videos)
    process = rrbench("data", "audit", str(root), "--json")
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr
    report = json.loads(process.stdout)
    assert report["worst_leak"]["leaks"] is False
    assert report["worst_leak"]["gain"] <= 0.05
    # every video has 12 identical frames: one byte-identical group holding all 60 videos
    assert len(report["identical_videos"]) == 1 and len(report["identical_videos"][0]) == 60
    assert report["clusters"] == 60 and report["cluster_key"] == "episode_id"
    assert set(report["label_shares"]) == {"all", "subset", "kind"}
    assert report["skipped_cues"]["frame_count"] == "the same on every item"


def test_duplicate_items_are_listed(tmp_path):
    rows, videos = _rows(12, lambda v, rng: 1 + v % 5, lambda v, label: 10 + v, clips=False)
    rows.append({**rows[0], "item_id": "copy-of-ep0"})
    root = write_dataset(tmp_path / "dupes", rows, videos)
    report = json.loads(rrbench("data", "audit", str(root), "--json").stdout)
    assert report["duplicate_items"] == [["copy-of-ep0", "ep0/full"]]
    assert report["identical_videos"] == []


def test_one_level_and_missing_cluster_keys_are_one_line_errors(tmp_path):
    rows, videos = _rows(10, lambda v, rng: 3, lambda v, label: 10, clips=False)
    root = write_dataset(tmp_path / "flat", rows, videos)
    assert_one_line_error(rrbench("data", "audit", str(root)), "every item is labelled 3")
    rows, videos = _rows(10, lambda v, rng: 1 + v % 5, lambda v, label: 10, clips=False)
    del rows[4]["group_id"]
    root = write_dataset(tmp_path / "nocluster", rows, videos)
    assert_one_line_error(rrbench("data", "audit", str(root), "--cluster", "group_id"),
                          "ep4/full", "no cluster key 'group_id'")


def test_a_cue_gain_is_measured_against_the_best_other_cue():
    constant = Probe((), 1, 1.2)
    probes = [Probe(("a",), 3, 1.0), Probe(("b",), 3, 1.1), Probe(("a", "b"), 9, 0.7)]
    gains = cue_gains(constant, probes)
    assert gains["a"] == pytest.approx((0.4, "b"))   # 1.1 → 0.7 when a joins b
    assert gains["b"] == pytest.approx((0.3, "a"))   # 1.0 → 0.7 when b joins a


def test_macro_mae_weighs_subsets_equally():
    y = np.array([1, 1, 1, 1, 5.0])
    pred = np.array([1, 1, 1, 1, 1.0])
    subsets = np.array(["big"] * 4 + ["small"])
    assert macro_mae(y, pred, subsets) == pytest.approx(2.0)
