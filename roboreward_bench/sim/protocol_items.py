"""Item builders for ``rrb-sim-progress`` and ``rrb-sim-pref`` from rrb-sim episodes' per-frame data.

Not wired to a shipped split: these splits are to be built from rrb-sim v2
episodes (which must record each frame's simulator progress and success), and
none is built from v1. Each function is pure: episode records in, rows of the
local progress/preference format (data/local_multi.py) out.

- **progress**: the gold answer is the simulator's progress at the clip's end,
  as a percentage: 100 where the success predicate holds, else
  100 × progress clipped to [0, 0.99] (so only success reaches 100).
- **preference**: pairs of rollouts of one initial-state group (same task,
  seed and camera). The rollout with the higher final label is better; equal
  final labels are a tie. Sides are assigned so neither A nor B exceeds
  55% of the decisive answers, and the tie share is kept within 15–35% by
  dropping surplus tie pairs (or surplus decisive pairs) deterministically.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Sequence

TIE_SHARE = (0.15, 0.35)
MAX_SIDE_SHARE = 0.55


@dataclass(frozen=True)
class EpisodeFrames:
    """One recorded episode: its video, instruction, group and per-frame simulator facts."""

    episode_id: str
    group_id: str
    file_name: str
    instruction: str
    subset: str
    frame_progress: tuple[float, ...]   # the task's progress in [0, 1] (or beyond) at every frame
    frame_success: tuple[bool, ...]     # the task's success predicate at every frame
    frame_labels: tuple[int, ...]       # the 1–5 rubric label at every frame


def progress_percent(episode: EpisodeFrames, clip_end: int) -> float:
    """Gold progress at ``clip_end``: 100 on success, else 100 × progress clipped to [0, 0.99]."""
    if episode.frame_success[clip_end]:
        return 100.0
    return round(100.0 * min(max(float(episode.frame_progress[clip_end]), 0.0), 0.99), 2)


def progress_rows(episode: EpisodeFrames, clip_ends: Sequence[int], camera: str = "Corner") -> list[dict]:
    """One progress row per clip end (the last is the full episode, reusing its video).

    A clip that is not the whole episode names the file ``clips/<episode>-<end>.mp4``, cut
    from the episode's video up to ``clip_end`` at build time (whole-video tasks send files).
    """
    last = len(episode.frame_progress) - 1
    rows = []
    for index, end in enumerate(sorted(set(clip_ends))):
        if not 0 <= end <= last:
            raise ValueError(f"{episode.episode_id}: clip end {end} is outside frames 0..{last}")
        file_name = episode.file_name if end == last else f"clips/{episode.episode_id}-{end}.mp4"
        rows.append({"item_id": f"{episode.episode_id}/p{end}", "task": episode.instruction,
                     "progress": progress_percent(episode, end), "videos": {camera: file_name},
                     "episode_id": episode.episode_id, "clip_index": index, "subset": episode.subset,
                     "clip_end": end, "source_video": episode.file_name})
    return rows


def pair_label(first: EpisodeFrames, second: EpisodeFrames) -> str:
    """"A" if the first rollout ends at a higher label, "B" if the second does, else "tie"."""
    a, b = first.frame_labels[-1], second.frame_labels[-1]
    return "A" if a > b else "B" if b > a else "tie"


def preference_rows(episodes: Sequence[EpisodeFrames], seed: int = 0, camera: str = "Corner") -> list[dict]:
    """Every pair of rollouts within each group, balanced as the module docstring says."""
    rng = random.Random(seed)
    by_group: dict[str, list[EpisodeFrames]] = {}
    for episode in episodes:
        by_group.setdefault(episode.group_id, []).append(episode)
    pairs = [(x, y) for group in sorted(by_group) for x, y in itertools.combinations(by_group[group], 2)
             if x.instruction == y.instruction]
    rng.shuffle(pairs)
    ties = [p for p in pairs if pair_label(*p) == "tie"]
    decisive = [p for p in pairs if pair_label(*p) != "tie"]
    ties, decisive = _tie_share(ties, decisive)
    rows = []
    for index, (x, y) in enumerate(decisive):
        better_first = pair_label(x, y) == "A"
        # Alternate which side holds the better rollout: A and B each win half the decisive pairs.
        a, b = (x, y) if better_first == (index % 2 == 0) else (y, x)
        rows.append(_pair_row(a, b, camera))
    rows += [_pair_row(x, y, camera) for x, y in ties]
    rows.sort(key=lambda row: row["item_id"])
    return rows


def _tie_share(ties: list, decisive: list) -> tuple[list, list]:
    """Drop surplus ties (or decisive pairs) so ties are 15–35% of the pairs kept."""
    low, high = TIE_SHARE
    while ties and len(ties) > high * (len(ties) + len(decisive)):
        ties = ties[:-1]
    while decisive and len(ties) < low * (len(ties) + len(decisive)):
        decisive = decisive[:-1]
    return ties, decisive


def _pair_row(a: EpisodeFrames, b: EpisodeFrames, camera: str) -> dict:
    return {"item_id": f"{a.episode_id}|{b.episode_id}", "task": a.instruction, "preference": pair_label(a, b),
            "videos_a": {camera: a.file_name}, "videos_b": {camera: b.file_name}, "episode_id": a.group_id,
            "subset": a.subset, "group_id": a.group_id}


def balance_problems(rows: Sequence[dict], min_pairs: int = 1000) -> list[str]:
    """What keeps a preference split from the issue's targets (empty when it meets them)."""
    labels = [row["preference"] for row in rows]
    problems = []
    if len(rows) < min_pairs:
        problems.append(f"{len(rows)} pairs, fewer than {min_pairs}")
    if rows:
        tie = labels.count("tie") / len(rows)
        if not TIE_SHARE[0] <= tie <= TIE_SHARE[1]:
            problems.append(f"ties are {tie:.0%} of pairs, outside 15–35%")
        for side in ("A", "B"):
            share = labels.count(side) / len(rows)
            if share > MAX_SIDE_SHARE:
                problems.append(f"{side} is {share:.0%} of pairs, above 55%")
    return problems
