"""Items from episode records, level balancing, and split seeds (no simulator needed)."""

from __future__ import annotations

from collections import Counter

import pytest

from roboreward_bench.errors import RRBenchError
from roboreward_bench.sim.balance import select_balanced
from roboreward_bench.sim.catalog import SEEN_TASKS, UNSEEN_TASKS
from roboreward_bench.sim.instructions import PARAPHRASES
from roboreward_bench.sim.items import EpisodeRecord, clip_ends, items_from_record, spec_from_row
from roboreward_bench.sim.policies import PolicySpec
from roboreward_bench.sim.rollout import EpisodeSpec
from roboreward_bench.sim.splits import SPLITS, plan_episodes

SUCCESS = [1] * 28 + [2] * 6 + [3] * 5 + [4] * 3 + [5] * 9   # 51 frames, the v2 horizon


def _record(task="drawer-open-v3", own=SUCCESS, other=None, ambiguous_other=True):
    spec = EpisodeSpec(task=task, seed=2_000_007, policy=PolicySpec("noisy", sigma=0.5), group="g")
    labels = {task: list(own)}
    ambiguous = {task: False}
    if other is not None:
        labels["drawer-close-v3"] = list(other)
        ambiguous["drawer-close-v3"] = ambiguous_other
    return EpisodeRecord(spec=spec, file_name="articulated/x.mp4", num_frames=len(own), labels=labels,
                         ambiguous=ambiguous)


def test_clip_ends_mark_where_levels_are_reached():
    ends = clip_ends(SUCCESS, "push-s1-expert")
    assert {28, 34, 39, 42} <= set(ends)    # first frames of levels 2, 3, 4, 5
    assert {33, 38, 41} <= set(ends)        # last frames of 2, 3 and 4
    assert all(25 <= e < len(SUCCESS) - 1 for e in ends)


def test_v2_clips_never_show_fewer_than_26_frames():
    early = [1] * 5 + [2] * 5 + [3] * 5 + [4] * 5 + [5] * 31
    ends = clip_ends(early, "fast-expert")
    assert ends and min(ends) >= 25          # levels reached before frame 25 give no short clip


def test_v2_clip_ends_also_fall_on_frames_drawn_from_the_episode_id():
    flat = [1] * 51
    assert clip_ends(flat, "a") == clip_ends(flat, "a")          # reproducible
    drawn = {tuple(clip_ends(flat, f"ep{i}")) for i in range(10)}
    assert len(drawn) > 5 and all(all(25 <= e < 50 for e in ends) for ends in drawn)


def test_items_carry_labels_read_from_frame_labels():
    rows = items_from_record(_record(other=[5] * 10 + [1] * 41))
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["full"] == 1 and kinds["counterfactual"] == 1 and kinds["clip"] >= 5
    for row in rows:
        assert row["frame_labels"][-1] == row["reward"]
        assert len(row["frame_labels"]) == row["clip_end"] + 1
        assert row["task"] in PARAPHRASES[row["instruction_task"]]
    cf = next(r for r in rows if r["kind"] == "counterfactual")
    assert cf["reward"] == 1 and cf["instruction_task"] == "drawer-close-v3" and cf["subset"] == "articulated"
    assert len({r["item_id"] for r in rows}) == len(rows)


def test_a_counterfactual_whose_goal_held_all_along_is_left_out():
    rows = items_from_record(_record(other=[5] * 51))
    assert not any(r["kind"] == "counterfactual" for r in rows)


def test_an_episode_done_at_the_start_gives_no_items():
    record = _record()
    record.ambiguous["drawer-open-v3"] = True
    assert items_from_record(record) == []


def test_rows_hold_everything_needed_to_replay_the_episode():
    record = _record()
    row = items_from_record(record)[0]
    assert spec_from_row(row) == record.spec


def _rows(counts):
    rows = []
    for lvl, n in counts.items():
        for i in range(n):
            rows.append({"item_id": f"l{lvl}-{i}", "reward": lvl, "kind": "full" if i % 3 == 0 else "clip"})
    return rows


def test_balancing_caps_every_level_and_keeps_full_episodes_first():
    rows = _rows({1: 500, 2: 300, 3: 120, 4: 90, 5: 400})
    chosen = select_balanced(rows, max_share=0.30)
    shares = Counter(r["reward"] for r in chosen)
    assert all(n / len(chosen) <= 0.30 for n in shares.values())
    assert shares[4] == 90 and shares[3] == 120      # scarce levels kept whole
    kept_full = sum(r["kind"] == "full" for r in chosen if r["reward"] == 1)
    assert kept_full == sum(r["kind"] == "full" for r in rows if r["reward"] == 1)
    assert chosen == select_balanced(list(reversed(rows)), max_share=0.30)[::-1]
    small = select_balanced(rows, max_share=0.30, target=100)
    assert len(small) == 100
    assert max(Counter(r["reward"] for r in small).values()) <= 30


def test_split_seeds_are_disjoint_and_unseen_tasks_stay_out_of_train_and_val():
    pairs = {name: {(s.task, s.seed) for s in plan_episodes(name, groups_per_task=3)} for name in SPLITS}
    names = list(pairs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not pairs[a] & pairs[b], (a, b)
    for name in ("train", "val"):
        assert not {task for task, _ in pairs[name]} & set(UNSEEN_TASKS)
        assert {task for task, _ in pairs[name]} == set(SEEN_TASKS)
    assert set(UNSEEN_TASKS) <= {task for task, _ in pairs["test"]}
    with pytest.raises(RRBenchError, match="held-out"):
        plan_episodes("train", tasks=("box-close-v3",))


def test_a_group_shares_task_seed_and_camera_and_starts_with_the_expert():
    specs = plan_episodes("test", groups_per_task=1, tasks=("push-v3",))
    assert specs[0].policy.kind == "expert"
    assert len({(s.task, s.seed, s.camera, s.group) for s in specs}) == 1
    assert len({s.policy for s in specs}) == len(specs) >= 3
    assert specs == plan_episodes("test", groups_per_task=1, tasks=("push-v3",))


@pytest.mark.parametrize("bad", [0, 6, 7])
def test_a_rule_giving_an_out_of_range_label_stops_the_build_naming_the_item(bad):
    from roboreward_bench.errors import DataError

    own = SUCCESS[:-1] + [bad]
    with pytest.raises(DataError, match=r"drawer-open-s2000007-noisy0.5/full-50.*label " + str(bad)):
        items_from_record(_record(own=own))
