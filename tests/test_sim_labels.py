"""The rrb-sim rubric on hand-built simulator states (no Meta-World needed)."""

from __future__ import annotations

import pytest

from roboreward_bench.sim.catalog import ALL_TASKS, FAMILIES, UNSEEN_TASKS, counterfactual_tasks, task_info
from roboreward_bench.sim.instructions import PARAPHRASES, instruction_text, paraphrase_id
from roboreward_bench.sim.labels import Measure, Rule, StepState, goal_held_at_start, label_states, level

HAND_HOME = (0.0, 0.6, 0.2)


def m(dist, success=False, moved=0.0, lift=0.0):
    return Measure(success=success, dist=dist, moved=moved, lift=lift)


START = m(0.25)
RULE = Rule(tolerance=0.05)


def test_success_is_5_even_far_from_the_rest():
    assert level(RULE, m(0.3, success=True), START) == 5


@pytest.mark.parametrize("dist,expected", [
    (0.09, 4),    # progress (0.25-0.09)/0.20 = 0.80
    (0.11, 3),    # 0.70
    (0.17, 3),    # 0.40
    (0.20, 2),    # 0.25
    (0.235, 1),   # 0.075: nothing goal-relevant
    (0.40, 1),    # moved away from the goal
])
def test_progress_bands(dist, expected):
    assert level(RULE, m(dist), START) == expected


def test_nudging_the_object_is_a_small_change():
    assert level(RULE, m(0.25, moved=0.015), START) == 2
    assert level(RULE, m(0.25, moved=0.005), START) == 1


def test_v2_gripper_next_to_an_unmoved_object_is_not_progress():
    """v1 gave 2 when the gripper came within 3 cm; v2 needs the scene to change."""
    goal = (0.1, 0.8, 0.02)
    still = [_state((0.1, 0.6, 0.02), goal=goal, hand=(0.1, 0.6 - d, 0.03)) for d in (0.3, 0.1, 0.01, 0.0)]
    assert label_states("push-v3", "push-v3", still) == [1, 1, 1, 1]
    nudged = still + [_state((0.1, 0.615, 0.02), goal=goal, hand=(0.1, 0.6, 0.03))]
    assert label_states("push-v3", "push-v3", nudged)[-1] == 2


def test_reach_family_ignores_object_cues():
    reach_rule = Rule(tolerance=0.05, object_cues=False)
    assert level(reach_rule, m(0.25, moved=0.1), START) == 1


def test_lifting_is_major_progress_only_in_lift_families():
    lifted = m(0.24, lift=0.05, moved=0.05)
    assert level(Rule(tolerance=0.07, lift_is_major=True), lifted, START) == 3
    assert level(Rule(tolerance=0.07), lifted, START) == 2


def test_goal_held_at_start_then_undone_is_1():
    start = m(0.01, success=True)
    assert level(RULE, m(0.2), start) == 1
    assert level(RULE, m(0.02, success=True), start) == 5


def _state(obj, goal=(0.1, 0.8, 0.02), hand=HAND_HOME, success=False, dist=None):
    import math

    return StepState(success=success, goal_dist=math.dist(obj, goal) if dist is None else dist,
                     hand=hand, obj=obj, goal=goal)


def _push_episode():
    """A puck pushed along the table from y=0.6 to a goal at y=0.8."""
    states = []
    for y in (0.60, 0.60, 0.62, 0.66, 0.72, 0.76, 0.78, 0.80):
        obj = (0.1, y, 0.02)
        hand = (0.1, y - 0.03, 0.03)
        states.append(_state(obj, hand=hand, success=abs(0.8 - y) <= 0.05))
    return states


def test_own_labels_rise_with_a_successful_push():
    labels = label_states("push-v3", "push-v3", _push_episode())
    assert labels[0] == 1
    assert labels[-1] == 5
    assert labels == sorted(labels)
    assert {2, 3, 4} <= set(labels)


def test_pick_place_on_a_pushed_puck_misses_the_lift():
    labels = label_states("pick-place-v3", "push-v3", _push_episode())
    assert labels[-1] == 4  # at the goal, but never lifted off the table


def test_reach_on_a_push_episode_uses_the_hand():
    states = _push_episode()
    labels = label_states("reach-v3", "push-v3", states)
    assert labels[0] == 1
    assert labels[-1] == 5  # hand ends 3 cm from the goal


def test_push_on_a_reach_episode_where_the_puck_never_moves_is_1():
    goal = (-0.1, 0.8, 0.2)
    states = [_state((0.0, 0.6, 0.02), goal=goal, hand=(x, 0.6 + 0.2 * x, 0.2)) for x in (0.0, -0.05, -0.1)]
    assert label_states("push-v3", "reach-v3", states) == [1, 1, 1]


def test_inverse_instruction_on_an_opened_drawer():
    handle = [(0.0, 0.73 - d, 0.09) for d in (0.0, 0.0, 0.01, 0.05, 0.15)]
    states = [_state(h, goal=(0.0, 0.53, 0.18), dist=0.2 - (0.73 - h[1])) for h in handle]
    assert goal_held_at_start("drawer-close-v3", "drawer-open-v3", states)
    assert label_states("drawer-close-v3", "drawer-open-v3", states) == [5, 5, 5, 1, 1]


def test_v2_inverse_instruction_when_the_object_moves_its_way():
    """A drawer-close episode (goal: pushed in, +y) whose handle is pulled further out (-y) under
    "open the drawer": v1 called every move of over 2 cm a 1; v2 keeps the open goal held."""
    goal = (0.0, 0.80, 0.09)
    further_open = [_state((0.0, 0.60 - d, 0.09), goal=goal) for d in (0.0, 0.02, 0.06, 0.10)]
    assert label_states("drawer-open-v3", "drawer-close-v3", further_open) == [5, 5, 5, 5]
    closed_a_bit = [_state((0.0, 0.60 + d, 0.09), goal=goal) for d in (0.0, 0.01, 0.03, 0.10)]
    assert label_states("drawer-open-v3", "drawer-close-v3", closed_a_bit) == [5, 5, 1, 1]


def test_an_instruction_with_no_rule_on_this_scene_is_refused():
    with pytest.raises(ValueError, match="no rule"):
        label_states("drawer-open-v3", "push-v3", _push_episode())


def test_catalog_covers_every_task_once_with_five_unseen():
    names = [name for group in FAMILIES.values() for name in group]
    assert len(names) == len(set(names)) == 50
    assert sorted(ALL_TASKS) == sorted(names)
    assert all(task_info(name).novelty == "unseen" for name in UNSEEN_TASKS)
    assert sum(task_info(name).novelty == "unseen" for name in ALL_TASKS) == 5


def test_counterfactuals_are_only_computable_pairs():
    assert set(counterfactual_tasks("push-v3")) == {"pick-place-v3", "reach-v3"}
    assert counterfactual_tasks("drawer-open-v3") == ("drawer-close-v3",)
    assert counterfactual_tasks("hammer-v3") == ()


def test_every_task_has_several_distinct_paraphrases():
    for name in ALL_TASKS:
        texts = PARAPHRASES[name]
        assert len(texts) >= 3 and len(set(texts)) == len(texts), name
    ids = {paraphrase_id(f"item{i}", "push-v3") for i in range(50)}
    assert ids == {0, 1, 2}
    assert instruction_text("push-v3", paraphrase_id("x", "push-v3")) in PARAPHRASES["push-v3"]
