"""The shipped rrb-sim test and dev splits meet the benchmark's contract."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from roboreward_bench.data.local import load_local_dataset
from roboreward_bench.sim.catalog import UNSEEN_TASKS, task_info
from roboreward_bench.sim.items import spec_from_row
from roboreward_bench.data.manifest import check_manifest, read_manifest
from roboreward_bench.sim.splits import plan_episodes

ROOT = Path(__file__).resolve().parents[1] / "tasks" / "rrb_sim"
SPLIT_DIRS = {"test": ROOT / "test", "dev": ROOT / "dev"}


@pytest.fixture(scope="module")
def shipped():
    return {name: load_local_dataset(path, default_split=name) for name, path in SPLIT_DIRS.items()}


def test_test_split_size_tasks_and_level_shares(shipped):
    items = shipped["test"].items
    assert len(items) >= 2000
    tasks = {item.metadata["mt_task"] for item in items}
    assert len(tasks) >= 45 and set(UNSEEN_TASKS) <= tasks
    levels = Counter(item.label for item in items)
    for level in range(1, 6):
        assert 0.10 <= levels[level] / len(items) <= 0.35, (level, levels)
    assert {item.kind for item in items} == {"full", "clip", "counterfactual"}
    assert {item.metadata["novelty"] for item in items} == {"seen", "unseen"}


def test_dev_split_is_small_and_balanced(shipped):
    items = shipped["dev"].items
    assert 80 <= len(items) <= 130
    assert all(item.split == "dev" for item in items)


def test_shipped_files_match_their_manifest_and_fit_the_budget():
    total = 0
    for folder in SPLIT_DIRS.values():
        assert check_manifest(folder, ["metadata.jsonl"]) == []
        total += sum((folder / rel).stat().st_size for rel in read_manifest(folder))
    assert total <= 40e6


def test_no_video_or_initial_state_is_in_two_splits(shipped):
    hashes = {name: set(read_manifest(folder).values()) for name, folder in SPLIT_DIRS.items()}
    assert not hashes["test"] & hashes["dev"]
    states = {name: {(i.metadata["mt_task"], i.metadata["seed"]) for i in ds.items} for name, ds in shipped.items()}
    for split in ("train", "val"):
        states[split] = {(s.task, s.seed) for s in plan_episodes(split)}
    names = list(states)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not states[a] & states[b], (a, b)


def test_rows_name_their_family_and_can_be_replayed(shipped):
    for dataset in shipped.values():
        for item in dataset.items:
            assert item.subset == task_info(item.metadata["mt_task"]).family
            spec = spec_from_row({**item.metadata, "group_id": item.group_id, "split": item.split})
            assert spec.episode_id == item.episode_id


def test_groups_hold_several_policies_from_one_initial_state(shipped):
    policies = defaultdict(set)
    for item in shipped["test"].items:
        policies[item.group_id].add(item.metadata["policy_kind"])
    assert sum(len(kinds) >= 2 for kinds in policies.values()) >= 0.9 * len(policies)


def test_instructions_come_in_several_paraphrases(shipped):
    texts = defaultdict(set)
    for item in shipped["test"].items:
        texts[item.metadata["instruction_task"]].add(item.instruction)
    assert sum(len(t) >= 2 for t in texts.values()) >= 0.9 * len(texts)
