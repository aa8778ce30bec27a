"""Choosing the shipped items (rrb-sim v2): no copies, no length cue, no dominant level, on hand-built rows."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from roboreward_bench.sim.balance import (
    cap_within, choose_shipped, drop_duplicates, independent_counts, length_bins, match_lengths,
)


def _row(i, reward, clip_end=50, kind="clip", policy="expert", digest=None, subset="push", instruction="push-v3"):
    return {"item_id": f"it{i}", "reward": reward, "clip_end": clip_end, "kind": kind, "policy_kind": policy,
            "frames_digest": digest or f"d{i}", "camera": "orbit0", "instruction_task": instruction,
            "subset": subset}


def test_items_showing_the_same_states_under_one_instruction_are_one_item():
    rows = [_row(1, 3, digest="same", policy="gripper-drop"), _row(2, 3, digest="same"),
            _row(3, 3, digest="same", instruction="reach-v3"), _row(4, 3, digest="other")]
    kept = {r["item_id"] for r in drop_duplicates(rows)}
    assert kept == {"it2", "it3", "it4"}   # the expert's copy stays; another instruction is another item


def test_independent_counts_is_rank_one_under_the_supply():
    table = {0: {1: 30, 2: 10, 5: 2}, 1: {1: 10, 2: 10, 5: 20}}
    keep = independent_counts(table)
    for b in table:
        for level, count in keep[b].items():
            assert count <= table[b][level]
    ratios = {level: keep[0][level] / keep[1][level] for level in keep[0]}
    assert max(ratios.values()) - min(ratios.values()) < 0.35   # same level mix in both bins (up to rounding)
    assert sum(map(sum, (k.values() for k in keep.values()))) >= 20


def test_a_level_missing_from_one_length_bin_is_dropped_from_its_stratum():
    keep = independent_counts({0: {1: 5, 5: 0}, 1: {1: 5, 5: 5}})
    assert all(5 not in levels or levels[5] == 0 for levels in keep.values())


def test_after_matching_clip_length_says_nothing_about_the_label():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(600):   # later clips are more often successes, as in a real rollout
        end = int(rng.integers(25, 50))
        reward = int(np.clip(round((end - 25) / 6 + rng.normal(0, 1.2)) + 1, 1, 5))
        rows.append(_row(i, reward, clip_end=end))
    kept = match_lengths(rows)
    bins = dict(zip((r["item_id"] for r in kept), length_bins([r["clip_end"] for r in kept], 2)))
    shares = defaultdict(Counter)
    for row in kept:
        shares[bins[row["item_id"]]][row["reward"]] += 1
    first, second = (np.array([shares[b][lvl] / sum(shares[b].values()) for lvl in range(1, 6)]) for b in (0, 1))
    assert np.abs(first - second).max() < 0.1 and len(kept) > 100


@pytest.mark.parametrize("share", [0.4, 0.6])
def test_no_level_exceeds_its_share_within_a_group(share):
    rows = [_row(i, 1 if i < 70 else 2 + i % 4, subset="a" if i % 2 else "b") for i in range(100)]
    kept = cap_within(rows, lambda r: r["subset"], share)
    for subset in ("a", "b"):
        counts = Counter(r["reward"] for r in kept if r["subset"] == subset)
        assert max(counts.values()) <= share * sum(counts.values())


def test_the_shipped_choice_keeps_each_level_within_30_percent():
    rng = np.random.default_rng(1)
    rows = [_row(i, int(rng.choice([1, 1, 1, 2, 3, 4, 5])), clip_end=int(rng.integers(25, 51)),
                 subset=str(rng.choice(["push", "reach", "slide"])), policy=str(rng.choice(["expert", "random"])))
            for i in range(900)]
    kept = choose_shipped(rows)
    counts = Counter(r["reward"] for r in kept)
    assert max(counts.values()) <= 0.30 * len(kept) and len(counts) == 5
