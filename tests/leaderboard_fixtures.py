"""Helpers for the leaderboard tests: a tiny registered task and real submission folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import yaml

from video_fixtures import small_benchmark_rows, write_dataset

from roboreward_bench.data.items import Item
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.submit import slug
from roboreward_bench.results.predictions import PredictionRecord

TASK = "tiny"


def write_task(base: Path, name: str = TASK, rows: list[dict] | None = None) -> Path:
    """A dataset folder with real MP4s plus ``tasks/<name>.yaml``; returns the tasks folder."""
    write_dataset(base / "data", rows or small_benchmark_rows())
    tasks = base / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / f"{name}.yaml").write_text(
        f"name: {name}\nversion: 1\ndescription: A tiny task for the leaderboard tests.\n"
        "source: {kind: local, path: ../data}\nframes: {num_frames: 4}\n"
        "bootstrap: {resamples: 200, seed: 0}\n", encoding="utf-8")
    return tasks


def answer_record(item: Item, answer: int, probs: tuple[float, ...] | None = None) -> PredictionRecord:
    """What the helm parser makes of ``ANSWER: k``: a record the validator accepts."""
    return PredictionRecord(item_id=item.item_id, raw_text=f"ANSWER: {answer}", parsed=float(answer), valid=True,
                            score_probs=probs)


def seeded_answer(item: Item, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{item.item_id}".encode()).digest()
    return 1 + digest[0] % 5


def write_verified(root: Path, catalog: TaskCatalog, organisation: str, name: str,
                   answer: Callable[[Item], int], weights: str = "open", parameters_b: float | None = 7.0,
                   probs: Callable[[Item], tuple[float, ...]] | None = None, task: str = TASK) -> Path:
    """A verified submission with predictions only (no results.json), as a contributor could write it."""
    loaded = catalog.load(task)
    folder = root / task / f"{slug(organisation)}__{slug(name)}"
    folder.mkdir(parents=True)
    records = [answer_record(item, answer(item), probs(item) if probs else None) for item in loaded.items]
    (folder / "predictions.jsonl").write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    meta = {"schema_version": 1, "kind": "verified", "task": task, "task_version": loaded.spec.version,
            "task_fingerprint": loaded.fingerprint,
            "model": {"name": name, "organisation": organisation, "weights": weights, "parameters_b": parameters_b,
                      "backend": "hf", "spec": f"hf:{slug(name)}", "link": "https://example.org/model"},
            "prompt_version": loaded.spec.prompt, "frames": {"num_frames": loaded.spec.frames.num_frames},
            "seed": 0, "date": "2026-11-24", "contact": "tests@example.org"}
    (folder / "submission.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return folder


def write_reported(root: Path, task: str, name: str, mae_macro: float, **extra: object) -> Path:
    """A reported row; the numbers are test inputs, not claims about any real model."""
    folder = root / task / f"paper__{slug(name)}"
    folder.mkdir(parents=True)
    meta = {"schema_version": 1, "kind": "reported", "task": task,
            "model": {"name": name, "organisation": "A paper", "weights": "closed"},
            "citation": {"source": "a test citation", "url": "https://example.org/paper"},
            "metrics": {"mae_macro": mae_macro}, "date": "2026-11-24", "contact": "tests@example.org", **extra}
    (folder / "submission.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return folder


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
