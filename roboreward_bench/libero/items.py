"""Items from LIBERO episode records: the full episode, clips and counterfactual instructions.

A record is what the worker leaves (``.build/<episode>.json``); labels are
computed here, in the main environment, by :mod:`roboreward_bench.libero.labels`.
Counterfactual items show the same video under another goal of the same scene,
labelled by that goal's own rules on the recorded states.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from roboreward_bench.libero.catalog import instruction_text, paraphrase_id, task
from roboreward_bench.libero.labels import frame_labels, goal_held_at_start

GENERATOR_VERSION = 1
MIN_CLIP_END = 5            # clips show at least 6 frames
PARTIAL_POINT = 0.5


def own_success(record: Mapping[str, Any]) -> bool:
    """The expert's verdict: every atom of the episode's own goal holds in the last frame."""
    spec = record["spec"]
    return frame_labels(record, spec["task"])[-1] == 5


def clip_ends(labels: list[int]) -> list[int]:
    """Where clips end: the first frame of each level reached before the last frame, and a partial point."""
    last = len(labels) - 1
    ends = {round(last * PARTIAL_POINT)}
    for lvl in (2, 3, 4, 5):
        if lvl in labels:
            ends.add(labels.index(lvl))
    return sorted(e for e in ends if MIN_CLIP_END <= e < last)


def _states_digest(record: Mapping[str, Any], end: int) -> str:
    """What the video shows up to ``end``, for dropping items that repeat another's frames."""
    shown = [{"eef": s["eef"], "pos": s["pos"], "joint": s["joint"], "grip": s["grip"]}
             for s in record["states"][: end + 1]]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def items_from_record(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of one episode; the own goal must not already hold at the start."""
    spec = record["spec"]
    own = spec["task"]
    if goal_held_at_start(record, own):
        return []
    labels = {goal: frame_labels(record, goal) for goal in record["goals"]}
    last = len(record["states"]) - 1
    rows = [_row(record, own, labels[own], last, "full")]
    rows += [_row(record, own, labels[own], end, "clip") for end in clip_ends(labels[own])]
    for goal, goal_labels in sorted(labels.items()):
        if goal == own or goal_held_at_start(record, goal):
            continue  # a goal that held all along: "done" and "no change" are both defensible
        rows.append(_row(record, goal, goal_labels, last, "counterfactual"))
    return rows


def _row(record: Mapping[str, Any], goal: str, labels: list[int], end: int, kind: str) -> dict[str, Any]:
    spec = record["spec"]
    info = task(spec["task"])
    episode_id = spec["episode_id"]
    item_id = f"{episode_id}/cf-{goal}" if kind == "counterfactual" else f"{episode_id}/{kind}-{end}"
    template = paraphrase_id(item_id, goal)
    shown = labels[: end + 1]
    return {
        "file_name": spec["files"]["agentview"], "task": instruction_text(goal, template), "reward": shown[-1],
        "item_id": item_id, "episode_id": episode_id, "clip_end": end, "subset": info.family, "kind": kind,
        "frame_labels": shown, "split": spec["split"], "group_id": spec["group"],
        "libero_task": spec["task"], "instruction_task": goal, "family": info.family, "novelty": info.novelty,
        "paraphrase": template, "init": spec["init"], "seed": spec["seed"], "camera": "agentview",
        "views": {cam: path for cam, path in spec["files"].items()}, "policy": spec["policy"],
        "policy_kind": spec["policy"]["kind"], "horizon": spec["horizon"], "stride": spec["stride"],
        "size": spec["size"], "fps": spec["fps"], "generator_version": GENERATOR_VERSION,
        "shown_digest": _states_digest(record, end),
    }


def drop_repeats(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one item per (group, instruction goal, frames shown): rollouts identical up to a clip's
    end (an expert and the same run stalled after success) would otherwise repeat an item."""
    seen: set[tuple[str, str, int, str]] = set()
    kept = []
    for row in rows:
        key = (row["group_id"], row["instruction_task"], row["clip_end"], row["shown_digest"])
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept
