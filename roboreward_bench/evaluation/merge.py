"""Combine shard runs (``rrbench eval --shard i/n``) into one result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.runner import RUN_FILE, read_run_file
from roboreward_bench.results.predictions import PREDICTIONS_FILE, PredictionRecord, read_predictions


@dataclass(frozen=True)
class MergedShards:
    """The common run identity (shard removed) and every shard's records."""

    identity: dict[str, Any]
    records: list[PredictionRecord]


def merge_shards(folders: Sequence[Path]) -> MergedShards:
    """Check the shards agree on task, model and settings and cover 1..n once; return their records."""
    if not folders:
        raise RRBenchError("merge: give the shard output folders")
    identities = []
    for folder in folders:
        path = Path(folder) / RUN_FILE
        if not path.is_file():
            raise RRBenchError(f"{folder}: not an rrbench run folder (no {RUN_FILE})")
        identities.append(read_run_file(path))
    common = {k: v for k, v in identities[0].items() if k != "shard"}
    for folder, identity in zip(folders, identities):
        differs = sorted(k for k in set(common) | set(identity) if k != "shard" and identity.get(k) != common.get(k))
        if differs:
            raise RRBenchError(f"{folder}: differs from {folders[0]} in {', '.join(differs)}")
    shards = [tuple(identity.get("shard") or ()) if isinstance(identity.get("shard"), (list, type(None))) else ()
              for identity in identities]
    if any(len(s) != 2 or not all(isinstance(v, int) for v in s) for s in shards):
        raise RRBenchError("merge: every folder must come from 'rrbench eval --shard i/n'")
    count = shards[0][1]
    indices = sorted(s[0] for s in shards)
    if any(s[1] != count for s in shards) or indices != list(range(1, count + 1)):
        raise RRBenchError(f"merge: shards {', '.join(f'{i}/{n}' for i, n in shards)} do not cover 1..{count} exactly once")
    records: list[PredictionRecord] = []
    for folder in folders:
        records.extend(read_predictions(Path(folder) / PREDICTIONS_FILE))
    return MergedShards(identity={**common, "shard": None}, records=records)
