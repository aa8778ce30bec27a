"""Item builders for rrb-sim-progress and rrb-sim-pref (pure functions over episodes' per-frame data)."""

from __future__ import annotations

import json

import pytest

from roboreward_bench.data.local import load_local_dataset
from roboreward_bench.sim.protocol_items import (EpisodeFrames, balance_problems, pair_label, preference_rows,
                                                 progress_percent, progress_rows)


def episode(name: str, group: str, progress: list[float], success: list[bool], labels: list[int]) -> EpisodeFrames:
    return EpisodeFrames(episode_id=name, group_id=group, file_name=f"sim/{name}.mp4", instruction="Open the drawer.",
                         subset="articulated", frame_progress=tuple(progress), frame_success=tuple(success),
                         frame_labels=tuple(labels))


def test_progress_gold_is_100_only_on_success():
    ep = episode("e", "g", [0.0, 0.5, 0.995, 1.2, 1.0], [False, False, False, False, True], [1, 3, 4, 4, 5])
    assert [progress_percent(ep, k) for k in range(5)] == [0.0, 50.0, 99.0, 99.0, 100.0]
    below = episode("b", "g", [-0.2, 0.1], [False, False], [1, 2])
    assert progress_percent(below, 0) == 0.0 and progress_percent(below, 1) == 10.0


def test_progress_rows_load_as_progress_items(tmp_path):
    ep = episode("e", "g", [0.0, 0.3, 0.6, 1.0], [False, False, False, True], [1, 2, 3, 5])
    rows = progress_rows(ep, [1, 3, 2])
    assert [(r["clip_index"], r["progress"], r["videos"]["Corner"]) for r in rows] == [
        (0, 30.0, "clips/e-1.mp4"), (1, 60.0, "clips/e-2.mp4"), (2, 100.0, "sim/e.mp4")]
    (tmp_path / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    dataset = load_local_dataset(tmp_path)
    assert dataset.protocol == "progress" and [i.label for i in dataset.items] == [30.0, 60.0, 100.0]
    with pytest.raises(ValueError, match="outside frames"):
        progress_rows(ep, [4])


def test_preference_pairs_follow_final_labels_and_are_balanced():
    episodes = []
    for g in range(40):  # 40 groups of 4 rollouts whose final labels repeat: many ties and many decisive pairs
        for k, final in enumerate((5, 5, 3, 1)):
            episodes.append(episode(f"g{g}-r{k}", f"g{g}", [0.0, 1.0], [False, final == 5], [1, final]))
    rows = preference_rows(episodes, seed=1)
    assert balance_problems(rows, min_pairs=100) == []
    labels = [row["preference"] for row in rows]
    assert 0.15 <= labels.count("tie") / len(rows) <= 0.35
    assert abs(labels.count("A") - labels.count("B")) <= 1
    by_id = {e.episode_id: e for e in episodes}
    for row in rows:
        a, b = (by_id[p.split("/")[-1].removesuffix(".mp4")] for p in (row["videos_a"]["Corner"],
                                                                        row["videos_b"]["Corner"]))
        assert a.group_id == b.group_id and row["preference"] == pair_label(a, b)
    lopsided = [{"preference": "A"}] * 8 + [{"preference": "B"}] * 2
    assert balance_problems(lopsided) == ["10 pairs, fewer than 1000", "ties are 0% of pairs, outside 15–35%",
                                          "A is 80% of pairs, above 55%"]
