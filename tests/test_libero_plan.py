"""rrb-libero's plan: splits by init state, held-out tasks, equal horizons, policy groups, instructions."""

from __future__ import annotations

from collections import defaultdict

import pytest

from roboreward_bench.errors import RRBenchError
from roboreward_bench.libero.catalog import UNSEEN, instructions, scene_mates, task, tasks
from roboreward_bench.libero.splits import SPLITS, default_tasks, plan_episodes


def test_init_state_ranges_of_splits_are_disjoint():
    used = {}
    for name, plan in SPLITS.items():
        inits = {s["init"] for s in plan_episodes(name, groups_per_task=plan.groups_per_task,
                                                  chosen=("spatial-0",) if not plan.seen_only else ("spatial-1",))}
        used[name] = inits
    names = list(used)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not used[a] & used[b], (a, b)


def test_unseen_tasks_never_enter_train_or_val():
    for split in ("train", "val"):
        assert not {s["task"] for s in plan_episodes(split, groups_per_task=1)} & set(UNSEEN)
        with pytest.raises(RRBenchError, match="held-out"):
            plan_episodes(split, chosen=("goal-8",))


def test_test_split_plan_meets_the_issue_counts_on_paper():
    specs = plan_episodes("test")
    keys = {s["task"] for s in specs}
    assert len(specs) >= 600
    assert {task(k).family for k in keys} == {"spatial", "object", "goal", "10"}
    assert len(keys & set(UNSEEN)) >= 10
    assert len({s["episode_id"] for s in specs}) == len(specs)


def test_one_horizon_per_task_and_varied_expert_delays():
    horizons = defaultdict(set)
    delays = []
    for spec in plan_episodes("test"):
        horizons[spec["task"]].add((spec["horizon"], spec["stride"], spec["fps"]))
        if spec["policy"]["kind"] == "expert":
            delays.append(spec["policy"]["delay"])
    assert all(len(v) == 1 for v in horizons.values())
    assert len(set(delays)) > 10


def test_groups_share_an_init_state_and_hold_distinct_policies():
    groups = defaultdict(list)
    for spec in plan_episodes("test"):
        groups[spec["group"]].append(spec)
    for members in groups.values():
        assert len({m["init"] for m in members}) == 1
        kinds = [m["policy"]["kind"] for m in members]
        assert kinds[0] == "expert" and len(set(kinds)) == len(kinds)
        if len(task(members[0]["task"]).goal) > 1:
            assert "partial" in kinds


def test_only_tasks_with_skills_are_planned():
    planned = set(default_tasks("test"))
    assert "goal-7" not in planned and "goal-8" in planned   # turn on the stove: no skill yet
    assert all(task(k).skilled for k in planned)


def test_counterfactual_goals_exist_in_the_scene_and_differ():
    for key in tasks():
        for mate in scene_mates(key):
            assert set(task(mate).goal) != set(task(key).goal)
            assert all(task(key).has_name(n) for _p, args in task(mate).goal for n in args)
    assert len(scene_mates("goal-8")) == 9
    assert scene_mates("spatial-0") == ()   # the spatial layouts differ only in which bowl is meant


def test_paraphrases_keep_the_objects_and_start_with_libero_wording():
    for key, info in tasks().items():
        forms = instructions(key)
        assert forms[0].lower() == info.language.lower()
        assert len(set(forms)) == len(forms) >= 3
    assert "ramekin" in instructions("spatial-0")[1] and "plate" in instructions("spatial-0")[2]
