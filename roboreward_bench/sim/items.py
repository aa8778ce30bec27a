"""Items from episodes: the full episode, temporal clips and counterfactual instructions.

An :class:`EpisodeRecord` is what a rollout leaves behind (its spec, video
file and per-frame labels under every instruction that can be computed on
it); :func:`items_from_record` turns it into rows of ``metadata.jsonl``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roboreward_bench.errors import DataError
from roboreward_bench.sim.catalog import counterfactual_tasks, task_info
from roboreward_bench.sim.instructions import instruction_text, paraphrase_id
from roboreward_bench.sim.labels import goal_held_at_start, label_states
from roboreward_bench.sim.rollout import Episode, EpisodeSpec

# v2: clips show at least 26 of the 51 frames. Earlier ends were almost all level 1 (the policy
# has barely started after its random delay), so a short clip told its label (data audit: +0.26).
MIN_CLIP_END = 25
RANDOM_CLIP_ENDS = 6      # clips ending at frames drawn from the episode id (v2)
PER_LEVEL = 4             # clips ending inside each of levels 2–4 (v2)
GENERATOR_VERSION = 2
RECORDS_DIR = ".build"    # per-episode records of an unfinished build (resume reads them)


@dataclass(frozen=True)
class EpisodeRecord:
    """A rendered episode: spec, video file, and frame labels per instruction task."""

    spec: EpisodeSpec
    file_name: str
    num_frames: int
    labels: dict[str, list[int]]          # instruction task -> label of every frame
    ambiguous: dict[str, bool]             # instruction task -> its goal held at the start
    camera: str = ""                       # the camera the build chose
    visible_px: dict[int, int] | None = None   # item end frame -> visible main-object pixels
    prefix_digests: list[str] | None = None    # frame -> digest of the states up to it (duplicates)

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec.to_dict(), "file_name": self.file_name, "num_frames": self.num_frames,
                "labels": self.labels, "ambiguous": self.ambiguous, "camera": self.camera,
                "visible_px": {str(k): v for k, v in (self.visible_px or {}).items()},
                "prefix_digests": self.prefix_digests}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "EpisodeRecord":
        return cls(spec=EpisodeSpec.from_dict(raw["spec"]), file_name=raw["file_name"],
                   num_frames=int(raw["num_frames"]), labels={k: list(v) for k, v in raw["labels"].items()},
                   ambiguous=dict(raw["ambiguous"]), camera=raw.get("camera", ""),
                   visible_px={int(k): int(v) for k, v in (raw.get("visible_px") or {}).items()},
                   prefix_digests=raw.get("prefix_digests"))


def record_path(out: Path, spec: EpisodeSpec) -> Path:
    """Where a build keeps the finished record of one episode until the build completes."""
    return out / RECORDS_DIR / f"{spec.episode_id}.json"


def episode_labels(episode: Episode) -> tuple[dict[str, list[int]], dict[str, bool]]:
    """Frame labels under the episode's own task and each computable counterfactual task."""
    task = episode.spec.task
    states = episode.frame_states()
    labels = {task: label_states(task, task, states)}
    ambiguous = {task: goal_held_at_start(task, task, states)}
    for other in counterfactual_tasks(task):
        labels[other] = label_states(other, task, states)
        ambiguous[other] = goal_held_at_start(other, task, states)
    return labels, ambiguous


def prefix_digests(snapshots) -> list[str]:
    """For each frame, a digest of every physics state up to it: equal digests mean the same frames."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    out = []
    for state in snapshots:
        digest.update(np.round(np.asarray(state, dtype=float), 6).tobytes())
        out.append(digest.copy().hexdigest()[:16])
    return out


def record_of(episode: Episode, file_name: str, camera: str = "", visible_px: dict[int, int] | None = None
              ) -> EpisodeRecord:
    labels, ambiguous = episode_labels(episode)
    return EpisodeRecord(spec=episode.spec, file_name=file_name, num_frames=len(episode.frame_steps),
                         labels=labels, ambiguous=ambiguous, camera=camera, visible_px=visible_px,
                         prefix_digests=prefix_digests(episode.snapshots) if episode.snapshots else None)


def clip_ends(labels: list[int], episode_id: str = "") -> list[int]:
    """Where clips end: the first frame of each level reached, up to ``PER_LEVEL`` frames spread
    over each of levels 2–4 (the rare middle of the rubric), and ``RANDOM_CLIP_ENDS`` frames drawn
    from the episode id. Random start delays make when a level is reached vary, and the shipped
    split matches clip lengths across levels (``sim.balance``)."""
    import zlib

    import numpy as np

    last = len(labels) - 1
    ends = set()
    for lvl in (2, 3, 4, 5):
        at = [i for i, value in enumerate(labels) if value == lvl and MIN_CLIP_END <= i < last]
        if at:
            ends.add(at[0])
            if lvl < 5:
                ends.update(at[int(k)] for k in np.linspace(0, len(at) - 1, min(PER_LEVEL, len(at))))
    if last > MIN_CLIP_END:
        rng = np.random.default_rng(zlib.crc32(episode_id.encode()))
        ends.update(int(e) for e in rng.integers(MIN_CLIP_END, last, size=RANDOM_CLIP_ENDS))
    return sorted(e for e in ends if MIN_CLIP_END <= e < last)


def items_from_record(record: EpisodeRecord) -> list[dict[str, Any]]:
    """Rows for one episode: full, clips, and counterfactuals whose label is unambiguous."""
    spec = record.spec
    own = spec.task
    if record.ambiguous.get(own):
        return []  # the task was already done at the start: no honest label for this episode
    last = record.num_frames - 1
    rows = [_row(record, own, last, "full")]
    # The build decides where clips end (and measures visibility there); records without that use the rule.
    ends = sorted(record.visible_px)[:-1] if record.visible_px else clip_ends(record.labels[own], spec.episode_id)
    rows += [_row(record, own, end, "clip") for end in ends]
    for other, labels in record.labels.items():
        if other == own:
            continue
        if record.ambiguous.get(other) and labels[last] == 5:
            continue  # the other goal held all along: "done" and "no change" are both defensible
        rows.append(_row(record, other, last, "counterfactual"))
    return rows


def _row(record: EpisodeRecord, instruction_task: str, clip_end: int, kind: str) -> dict[str, Any]:
    spec = record.spec
    own = task_info(spec.task)
    episode_id = spec.episode_id
    if kind == "counterfactual":
        item_id = f"{episode_id}/cf-{instruction_task.removesuffix('-v3')}"
    else:
        item_id = f"{episode_id}/{kind}-{clip_end}"
    template = paraphrase_id(item_id, instruction_task)
    frame_labels = record.labels[instruction_task][: clip_end + 1]
    bad = next((v for v in frame_labels if isinstance(v, bool) or v not in (1, 2, 3, 4, 5)), None)
    if bad is not None:
        raise DataError(f"item {item_id}: the generator's rules gave label {bad!r}, not one of 1–5; build stopped")
    digests = record.prefix_digests
    return {
        "file_name": record.file_name, "task": instruction_text(instruction_task, template),
        "reward": frame_labels[-1], "item_id": item_id, "episode_id": episode_id, "clip_end": clip_end,
        "subset": own.family, "kind": kind, "frame_labels": frame_labels, "split": spec.split,
        "group_id": spec.group,
        "mt_task": spec.task, "instruction_task": instruction_task, "family": own.family,
        "novelty": own.novelty, "paraphrase": template, "seed": spec.seed,
        "camera": record.camera or spec.camera, "policy": spec.policy.to_dict(), "policy_kind": spec.policy.kind,
        "max_steps": spec.max_steps, "settle": spec.settle, "delay": spec.delay, "stride": spec.stride,
        "size": spec.size, "fps": spec.fps, "visible_px": (record.visible_px or {}).get(clip_end),
        "frames_digest": digests[clip_end] if digests else None, "generator_version": GENERATOR_VERSION,
    }


def spec_from_row(row: dict[str, Any]) -> EpisodeSpec:
    """The episode spec recorded in an item row (what ``data verify`` replays)."""
    from roboreward_bench.sim.policies import PolicySpec

    return EpisodeSpec(task=row["mt_task"], seed=int(row["seed"]), policy=PolicySpec.from_dict(row["policy"]),
                       camera=row["camera"], max_steps=int(row["max_steps"]), settle=int(row["settle"]),
                       delay=int(row.get("delay", 0)),
                       stride=int(row["stride"]), size=int(row["size"]), fps=int(row["fps"]),
                       group=str(row.get("group_id") or ""), split=str(row.get("split", "test")))
