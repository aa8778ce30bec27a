"""``rrbench data verify``: check shipped files against ``SHA256SUMS`` and replay sampled episodes.

Replays run without rendering: labels depend on simulator state only, so
pixels may differ between renderers while labels must come out identical.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from roboreward_bench.data.items import Item
from roboreward_bench.errors import DataError


@dataclass
class VerifyReport:
    """Hash problems and label mismatches (one line per file or item)."""

    files_checked: int = 0
    hash_problems: list[str] = field(default_factory=list)
    episodes_checked: int = 0
    items_checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    failed_tasks: dict[str, str] = field(default_factory=dict)
    visible_px: dict[str, int] = field(default_factory=dict)   # item id -> re-rendered object pixels

    @property
    def visible_share(self) -> float | None:
        """Share of re-rendered items whose last frame shows ≥ MIN_VISIBLE_PX object pixels."""
        from roboreward_bench.sim.visibility import MIN_VISIBLE_PX

        if not self.visible_px:
            return None
        return sum(px >= MIN_VISIBLE_PX for px in self.visible_px.values()) / len(self.visible_px)

    @property
    def ok(self) -> bool:
        from roboreward_bench.sim.visibility import MIN_VISIBLE_SHARE

        share = self.visible_share
        return not (self.hash_problems or self.mismatches or self.failed_tasks
                    or (share is not None and share < MIN_VISIBLE_SHARE))


def check_hashes(root: Path, items: tuple[Item, ...], report: VerifyReport) -> None:
    from roboreward_bench.data.manifest import check_manifest, read_manifest

    required = {"metadata.jsonl", *(item.file_name for item in items)}
    try:
        report.files_checked = len(read_manifest(root))
        report.hash_problems += check_manifest(root, required)
    except DataError as exc:
        report.hash_problems.append(str(exc))


def sample_episodes(items: tuple[Item, ...], sample: int | None, seed: int) -> dict[str, list[Item]]:
    """Items grouped by episode, for ``sample`` episodes drawn with ``seed`` (all if None)."""
    by_episode: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_episode[item.episode_id].append(item)
    names = sorted(by_episode)
    if sample is not None and sample < len(names):
        rng = np.random.default_rng(seed)
        names = sorted(rng.choice(names, size=sample, replace=False).tolist())
    return {name: by_episode[name] for name in names}


def _row_of(item: Item) -> dict:
    return {**item.metadata, "group_id": item.group_id, "split": item.split}


def check_labels(episodes: dict[str, list[Item]], report: VerifyReport, progress: bool = False) -> None:
    """Replay each episode from its recorded spec and compare every item's frame labels."""
    from tqdm import tqdm

    from roboreward_bench.sim.envs import EnvCache
    from roboreward_bench.sim.items import spec_from_row
    from roboreward_bench.sim.labels import label_states
    from roboreward_bench.sim.rollout import play

    cache = EnvCache()
    try:
        for episode_id, items in tqdm(episodes.items(), unit="ep", desc="verify", disable=not progress):
            first = items[0]
            try:
                spec = spec_from_row(_row_of(first))
            except (KeyError, TypeError, ValueError, DataError) as exc:
                report.mismatches.append(f"{first.item_id}: cannot read the episode settings ({exc})")
                continue
            if spec.task in report.failed_tasks:
                continue
            try:
                env = cache.get(spec.task)
                episode = play(env, spec, render=True)
            except Exception as exc:  # noqa: BLE001 - reported by task name, verification goes on
                report.failed_tasks[spec.task] = str(exc)
                continue
            report.episodes_checked += 1
            states = episode.frame_states()
            for item in items:
                report.items_checked += 1
                problem = _compare(item, spec.task, states, label_states)
                if problem:
                    report.mismatches.append(f"{item.item_id}: {problem}")
            _recheck_visibility(env, episode, items, report)
    finally:
        cache.close()


def _recheck_visibility(env, episode, items: list[Item], report: VerifyReport) -> None:
    """Re-render each item's last frame with segmentation from its recorded camera (v2 items)."""
    from roboreward_bench.sim.visibility import main_object_geoms, make_camera

    if episode.spec.camera == "auto" or not any(i.metadata.get("visible_px") is not None for i in items):
        return
    first = episode.states[0]
    env.restore(episode.snapshots[0])
    geoms = main_object_geoms(env.model, env.data, first.obj)
    view = make_camera(episode.spec.camera, first.obj, first.goal)
    for item in items:
        end = len(item.frame_labels or ()) - 1
        if 0 <= end < len(episode.snapshots):
            env.restore(episode.snapshots[end])
            report.visible_px[item.item_id] = env.visible_pixels(view, episode.spec.size, geoms)


def _compare(item: Item, episode_task: str, states, label_states) -> str | None:
    instruction = item.metadata.get("instruction_task", episode_task)
    if item.frame_labels is None:
        return "no frame_labels to compare"
    end = len(item.frame_labels) - 1
    if end >= len(states):
        return f"replay has {len(states)} frames but the item shows {end + 1}"
    replayed = label_states(instruction, episode_task, states)[: end + 1]
    if tuple(replayed) != tuple(item.frame_labels):
        first = next(i for i, (a, b) in enumerate(zip(replayed, item.frame_labels)) if a != b)
        return (f"frame {first}: replay labels {replayed[first]}, recorded {item.frame_labels[first]} "
                f"(label {replayed[-1]} vs {item.label})")
    return None


def verify_dataset(root: Path, items: tuple[Item, ...], sample: int | None = 50, seed: int = 0,
                   progress: bool = False) -> VerifyReport:
    """Check hashes, then replay ``sample`` episodes (all if None) and compare labels."""
    from roboreward_bench.sim.render import choose_gl_backend

    report = VerifyReport()
    check_hashes(root, items, report)
    sim_items = tuple(item for item in items if "mt_task" in item.metadata)
    if not sim_items:
        return report
    choose_gl_backend()
    check_labels(sample_episodes(sim_items, sample, seed), report, progress=progress)
    return report
