"""``rrbench data verify`` for rrb-libero: replay sampled episodes and compare labels and visibility.

Replays run in the managed LIBERO environment without rendering video: labels
depend on recorded states only, so they must come out identical. At the last
frame of every item the replay also counts, by segmentation, the pixels of the
objects the item's instruction names (the decisive objects).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from roboreward_bench.data.items import Item
from roboreward_bench.libero.labels import frame_labels
from roboreward_bench.libero.splits import episode_spec

MIN_VISIBLE_PIXELS = 100
MIN_VISIBLE_SHARE = 0.95


@dataclass
class LiberoVerifyReport:
    episodes_checked: int = 0
    items_checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    failed_tasks: dict[str, str] = field(default_factory=dict)
    visible_items: int = 0

    @property
    def visible_share(self) -> float:
        return self.visible_items / self.items_checked if self.items_checked else 1.0


def spec_of(item: Item) -> dict:
    """The episode spec an item row records (what a replay plays)."""
    row = item.metadata
    spec = episode_spec(item.split, row["libero_task"], int(row["init"]), dict(row["policy"]))
    spec.update(horizon=int(row["horizon"]), stride=int(row["stride"]), size=int(row["size"]), fps=int(row["fps"]))
    spec["sizes"] = {**spec["sizes"], "agentview": int(row["size"])}
    return spec


def replay(episodes: dict[str, list[Item]], workers: int = 2) -> tuple[dict[str, dict], dict[str, str]]:
    """Replayed records by episode id, and failed tasks."""
    from roboreward_bench.libero.build import failed_tasks, shard
    from roboreward_bench.libero.environment import ensure_env, env_python, worker_environ

    root, gl = ensure_env()
    specs = []
    for items in episodes.values():
        spec = spec_of(items[0])
        spec["check_frames"] = sorted({item.clip_end for item in items if item.clip_end is not None})
        specs.append(spec)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        procs = []
        for i, part in enumerate(shard(specs, workers)):
            job = out / f"job-{i}.json"
            job.write_text(json.dumps({"out": str(out), "replay": True, "episodes": part}), encoding="utf-8")
            procs.append(subprocess.Popen([str(env_python(root)), "-m", "roboreward_bench.libero.worker", str(job)],
                                          env=worker_environ(gl), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        for proc in procs:
            proc.wait()
        records = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                   for p in (out / "replay").glob("*.json") if not p.name.startswith("failed-")}
        failed = {}
        for path in (out / "replay").glob("failed-*.json"):
            raw = json.loads(path.read_text(encoding="utf-8"))
            failed[raw["task"]] = raw["message"]
    return records, failed


def decisive_names(record: dict, goal: str) -> list[str]:
    return sorted({n for key in record["goals"][goal] for n in record["atoms"][key]["args"]})


def compare(items: list[Item], record: dict, report: LiberoVerifyReport) -> None:
    for item in items:
        report.items_checked += 1
        goal = item.metadata["instruction_task"]
        end = item.clip_end if item.clip_end is not None else len(record["states"]) - 1
        replayed = frame_labels(record, goal)[: end + 1]
        if tuple(replayed) != tuple(item.frame_labels or ()):
            report.mismatches.append(f"{item.item_id}: replay labels end {replayed[-1:]} vs recorded {item.label}")
        seen = record.get("visible", {}).get(str(end), {})
        if all(seen.get(name, 0) >= MIN_VISIBLE_PIXELS for name in decisive_names(record, goal)):
            report.visible_items += 1


def verify_libero(items: tuple[Item, ...], sample: int | None, seed: int) -> LiberoVerifyReport:
    """Replay ``sample`` episodes (all if None) and compare every item's labels and visibility."""
    from roboreward_bench.sim.verify import sample_episodes

    report = LiberoVerifyReport()
    episodes = sample_episodes(items, sample, seed)
    records, report.failed_tasks = replay(episodes)
    for episode_id, episode_items in episodes.items():
        record = records.get(episode_id)
        if record is None:
            if episode_items[0].metadata["libero_task"] not in report.failed_tasks:
                report.mismatches.append(f"{episode_id}: the replay left no record")
            continue
        report.episodes_checked += 1
        compare(episode_items, record, report)
    return report
