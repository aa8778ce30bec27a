"""rrb-libero's rubric on hand-built records (no LIBERO needed): each rule of RUBRIC.md."""

from __future__ import annotations

import copy

import pytest

from roboreward_bench.libero import labels
from roboreward_bench.libero.items import clip_ends, drop_repeats, items_from_record

BOWL_ON_PLATE = "on(akita_black_bowl_1,plate_1)"
BOWL2_ON_PLATE = "on(akita_black_bowl_2,plate_1)"
DRAWER_OPEN = "open(wooden_cabinet_1_top_region)"


def _state(bowl=(0.0, 0.0, 0.90), bowl2=(0.0, 0.3, 0.90), plate=(0.30, 0.0, 0.90), drawer=0.0, truth=None):
    truth = {BOWL_ON_PLATE: 0, BOWL2_ON_PLATE: 0, DRAWER_OPEN: 0, **(truth or {})}
    return {"eef": [0.0, 0.0, 1.2], "grip": 0.08, "joint": {"wooden_cabinet_1_top_region": drawer},
            "pos": {"akita_black_bowl_1": list(bowl), "akita_black_bowl_2": list(bowl2), "plate_1": list(plate)},
            "truth": truth}


def _record(*states, goals=None):
    atoms = {BOWL_ON_PLATE: {"pred": "on", "args": ["akita_black_bowl_1", "plate_1"]},
             BOWL2_ON_PLATE: {"pred": "on", "args": ["akita_black_bowl_2", "plate_1"]},
             DRAWER_OPEN: {"pred": "open", "args": ["wooden_cabinet_1_top_region"], "goal_q": -0.14}}
    return {"atoms": atoms, "goals": goals or {"bowl": [BOWL_ON_PLATE]}, "states": list(states),
            "spec": {"task": "spatial-0", "episode_id": "spatial-0-i0-expert", "split": "test",
                     "group": "spatial-0-i0", "init": 0, "seed": 0, "policy": {"kind": "expert"},
                     "horizon": 200, "stride": 5, "size": 256, "fps": 10,
                     "files": {"agentview": "spatial/x.mp4", "wrist": "spatial/x-wrist.mp4"}}}


def _last_label(*states, goal="bowl", goals=None):
    return labels.frame_labels(_record(*states, goals=goals), goal)[-1]


def test_place_levels_follow_the_rubric():
    start = _state()
    assert _last_label(start, _state(truth={BOWL_ON_PLATE: 1})) == 5
    # held 6 cm above the plate centre, predicate false: one minor requirement missing
    assert _last_label(start, _state(bowl=(0.29, 0.01, 0.96))) == 4
    # lifted and carried 40% of the way
    assert _last_label(start, _state(bowl=(0.12, 0.0, 1.00))) == 3
    # carried only 20% of the way: a small change
    assert _last_label(start, _state(bowl=(0.06, 0.0, 1.00))) == 2
    # nudged 1.5 cm away from the plate: still a change in the scene
    assert _last_label(start, _state(bowl=(-0.015, 0.0, 0.90))) == 2
    # moved under 1 cm: no goal-relevant change
    assert _last_label(start, _state(bowl=(0.005, 0.0, 0.90))) == 1


def test_proximity_alone_never_counts():
    start = _state()
    near = _state()
    near["eef"] = [0.0, 0.0, 0.93]   # gripper right at the bowl, nothing moved
    assert _last_label(start, near) == 1


def test_high_above_the_target_is_not_level_4():
    start = _state()
    assert _last_label(start, _state(bowl=(0.30, 0.0, 1.05))) == 3   # 15 cm above: carried, not near


def test_right_kind_wrong_instance_is_major_progress():
    start = _state()
    assert _last_label(start, _state(truth={BOWL2_ON_PLATE: 1})) == 3
    # a sibling already on the plate at the start earns nothing
    start_with = _state(truth={BOWL2_ON_PLATE: 1})
    assert _last_label(start_with, _state(truth={BOWL2_ON_PLATE: 1})) == 1


@pytest.mark.parametrize("q, expected", [(-0.15, 5), (-0.11, 4), (-0.06, 3), (-0.01, 2), (-0.002, 1), (0.02, 1)])
def test_joint_levels_by_fraction_of_the_way(q, expected):
    goals = {"drawer": [DRAWER_OPEN]}
    truth = {DRAWER_OPEN: int(q <= -0.14)}
    assert _last_label(_state(), _state(drawer=q, truth=truth), goal="drawer", goals=goals) == expected


def test_two_goals_combine():
    goals = {"both": [BOWL_ON_PLATE, DRAWER_OPEN]}
    start = _state()
    one_done = _state(truth={BOWL_ON_PLATE: 1})
    assert _last_label(start, one_done, goal="both", goals=goals) == 3
    one_done_other_near = _state(drawer=-0.12, truth={BOWL_ON_PLATE: 1})
    assert _last_label(start, one_done_other_near, goal="both", goals=goals) == 4
    both = _state(drawer=-0.15, truth={BOWL_ON_PLATE: 1, DRAWER_OPEN: 1})
    assert _last_label(start, both, goal="both", goals=goals) == 5
    none_done = _state(bowl=(0.29, 0.0, 0.95))   # one goal near, the other untouched
    assert _last_label(start, none_done, goal="both", goals=goals) == 2


def test_items_full_clips_and_counterfactuals():
    states = [_state(), _state(), _state(), _state(), _state(), _state(),
              _state(bowl=(0.06, 0.0, 1.0)), _state(bowl=(0.15, 0.0, 1.0)), _state(bowl=(0.3, 0.0, 0.95)),
              _state(truth={BOWL_ON_PLATE: 1}), _state(truth={BOWL_ON_PLATE: 1})]
    record = _record(*states, goals={"spatial-0": [BOWL_ON_PLATE], "goal-0": [DRAWER_OPEN]})
    rows = items_from_record(record)
    kinds = sorted((r["kind"], r["reward"]) for r in rows)
    assert ("full", 5) in kinds and ("counterfactual", 1) in kinds
    assert sorted(r["clip_end"] for r in rows if r["kind"] == "clip") == [5, 6, 7, 8, 9]
    assert all(len(r["frame_labels"]) == r["clip_end"] + 1 for r in rows)
    assert all(r["reward"] == r["frame_labels"][-1] for r in rows)


def test_goal_held_at_start_gives_no_items():
    done = _state(truth={BOWL_ON_PLATE: 1})
    assert items_from_record(_record(done, done, goals={"spatial-0": [BOWL_ON_PLATE]})) == []


def test_identical_rollouts_yield_one_item():
    states = [_state()] * 6 + [_state(bowl=(0.1, 0.0, 1.0))] * 3
    first = items_from_record(_record(*states, goals={"spatial-0": [BOWL_ON_PLATE]}))
    twin = _record(*states, goals={"spatial-0": [BOWL_ON_PLATE]})
    twin = copy.deepcopy(twin)
    twin["spec"]["episode_id"] = "spatial-0-i0-stalled90"
    second = items_from_record(twin)
    kept = drop_repeats(first + second)
    assert len(kept) == len(first)


def test_clip_ends_skip_levels_reached_too_early_or_at_the_end():
    assert clip_ends([1, 2, 2, 2, 2, 2, 3, 3, 4, 5]) == [6, 8]
