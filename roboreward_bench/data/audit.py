"""``rrbench data audit``: can anything but the pixels predict a task's labels?

Shortcut probes see only non-pixel cues of an item (how many frames it shows,
the video file's frame count, duration and size, and metadata columns such as
item kind, policy kind, instruction, camera and paraphrase). A probe predicts
the median training label of the item's cell (one cue, or a pair of cues) and
is scored out of fold with K-fold cross-validation grouped by the task's
cluster key, so no cluster sits in both a fold's training and test part. The
audit reports each probe's macro MAE beside the best constant's, and for each
cue how much it improves on what any other cue already gives: a benchmark
whose file properties improve on that by more than ``LEAK_THRESHOLD`` leaks
its labels through the file.

It also counts label shares, duplicate items, byte-identical videos and
cluster sizes. Works on any task whose items carry labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from roboreward_bench.data.items import Item
from roboreward_bench.errors import DataError

# Cues that are properties of the video file rather than of the item's metadata.
FILE_CUES = ("frames_shown", "frame_count", "duration", "file_size")
METADATA_CUES = ("kind", "policy_kind", "instruction", "camera", "paraphrase")
LEAK_THRESHOLD = 0.05   # macro-MAE gain a file cue may add to any other cue
NUMERIC_BINS = 10       # numeric cues with more distinct values are cut at deciles
FOLDS = 5


@dataclass(frozen=True)
class VideoFacts:
    """What the container says about a video, without decoding pixels."""

    frame_count: int
    duration: float
    file_size: int
    sha256: str


@dataclass(frozen=True)
class Probe:
    """One shortcut probe's out-of-fold macro MAE (``cues`` empty: the best constant)."""

    cues: tuple[str, ...]
    cells: int
    mae_macro: float


@dataclass
class AuditReport:
    """Everything ``data audit`` prints; :meth:`to_dict` is its ``--json`` form."""

    task: str
    items: int
    cluster_key: str
    folds: int
    constant: Probe
    probes: list[Probe]
    gains: dict[str, tuple[float, str]]            # cue -> (best gain over another cue, that cue)
    label_shares: dict[str, dict[str, dict[int, int]]]   # column -> value -> level -> count
    duplicate_items: list[list[str]]
    identical_videos: list[list[str]]
    clusters: int
    cluster_sizes: dict[str, float]
    skipped_cues: dict[str, str] = field(default_factory=dict)

    @property
    def worst_leak(self) -> tuple[str, float, str]:
        """The file cue with the largest gain over another cue: (cue, gain, other cue)."""
        file_gains = [(gain, cue, other) for cue, (gain, other) in self.gains.items() if cue in FILE_CUES]
        if not file_gains:
            return ("", 0.0, "")
        gain, cue, other = max(file_gains)
        return (cue, gain, other)

    @property
    def leaks(self) -> bool:
        return self.worst_leak[1] > LEAK_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        cue, gain, other = self.worst_leak
        return {
            "task": self.task, "items": self.items, "cluster_key": self.cluster_key, "folds": self.folds,
            "constant_mae_macro": self.constant.mae_macro,
            "probes": [{"cues": list(p.cues), "cells": p.cells, "mae_macro": p.mae_macro} for p in self.probes],
            "gains": {c: {"gain": g, "over": o} for c, (g, o) in self.gains.items()},
            "worst_leak": {"cue": cue, "gain": gain, "over": other, "threshold": LEAK_THRESHOLD,
                           "leaks": self.leaks},
            "label_shares": self.label_shares, "duplicate_items": self.duplicate_items,
            "identical_videos": self.identical_videos, "clusters": self.clusters,
            "cluster_sizes": self.cluster_sizes, "skipped_cues": self.skipped_cues,
        }


def video_facts(path: Path) -> VideoFacts:
    """Frame count and duration from the container's index, size and SHA-256 from the bytes."""
    import av

    from roboreward_bench.data.manifest import sha256_file

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = int(stream.frames)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = float(container.duration or 0) / 1e6
            if frames <= 0:  # containers without a frame index: count packets (still no decoding)
                frames = sum(1 for packet in container.demux(stream) if packet.size)
    except (OSError, av.FFmpegError, IndexError) as exc:
        raise DataError(f"{path}: cannot read the video's container ({exc})") from None
    return VideoFacts(frames, round(duration, 3), path.stat().st_size, sha256_file(path))


def item_value(item: Item, key: str) -> Any:
    """An item's field or metadata column (None when absent)."""
    if key in Item.__dataclass_fields__:
        return getattr(item, key)
    return item.metadata.get(key)


def _cue_columns(items: tuple[Item, ...], facts: dict[str, VideoFacts]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    for cue in FILE_CUES:
        values = []
        for item in items:
            fact = facts[item.file_name]
            if cue == "frames_shown":
                values.append(fact.frame_count if item.clip_end is None else min(item.clip_end + 1, fact.frame_count))
            else:
                values.append(getattr(fact, cue))
        columns[cue] = values
    for cue in METADATA_CUES:
        key = "instruction" if cue == "instruction" else cue
        columns[cue] = [item_value(item, key) for item in items]
    return columns


def _codes(values: list[Any]) -> np.ndarray | None:
    """Integer cell codes for a cue (numeric cues binned at deciles); None if the cue is absent or constant."""
    if any(v is None for v in values):
        return None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        array = np.asarray(values, dtype=float)
        if len(np.unique(array)) > NUMERIC_BINS:
            edges = np.unique(np.quantile(array, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]))
            array = np.searchsorted(edges, array, side="right").astype(float)
        _, codes = np.unique(array, return_inverse=True)
    else:
        _, codes = np.unique(np.asarray([str(v) for v in values]), return_inverse=True)
    return codes if codes.max() > 0 else None


def macro_mae(y_true: np.ndarray, y_pred: np.ndarray, subsets: np.ndarray) -> float:
    """Mean over subsets of each subset's mean absolute error."""
    return float(np.mean([np.abs(y_true[subsets == s] - y_pred[subsets == s]).mean() for s in np.unique(subsets)]))


def _best_constant(labels: np.ndarray, subsets: np.ndarray) -> float:
    """The 1–5 constant with the lowest macro MAE on the given items."""
    return float(min(range(1, 6), key=lambda c: macro_mae(labels, np.full(len(labels), c), subsets)))


def _out_of_fold(cells: np.ndarray, labels: np.ndarray, subsets: np.ndarray,
                 folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each item predicted by the median training label of its cell (unseen cell: the best constant)."""
    pred = np.empty(len(labels))
    for train, test in folds:
        fallback = _best_constant(labels[train], subsets[train])
        by_cell: dict[int, list[int]] = defaultdict(list)
        for cell, label in zip(cells[train].tolist(), labels[train].tolist()):
            by_cell[cell].append(label)
        medians = {cell: float(np.median(values)) for cell, values in by_cell.items()}
        pred[test] = [medians.get(cell, fallback) for cell in cells[test].tolist()]
    return pred


def run_probes(columns: dict[str, np.ndarray], labels: np.ndarray, subsets: np.ndarray, clusters: np.ndarray,
               folds: int = FOLDS) -> tuple[Probe, list[Probe]]:
    """The best constant and every one- and two-cue probe, scored out of fold."""
    from sklearn.model_selection import GroupKFold

    splits = list(GroupKFold(n_splits=min(folds, len(np.unique(clusters)))).split(labels, groups=clusters))
    constant = Probe((), 1, macro_mae(labels, _out_of_fold(np.zeros(len(labels), int), labels, subsets, splits),
                                       subsets))
    probes = []
    names = list(columns)
    for size in (1, 2):
        for cues in combinations(names, size):
            cells = columns[cues[0]]
            if size == 2:
                cells = cells * (columns[cues[1]].max() + 1) + columns[cues[1]]
            pred = _out_of_fold(cells, labels, subsets, splits)
            probes.append(Probe(cues, int(len(np.unique(cells))), macro_mae(labels, pred, subsets)))
    return constant, probes


def cue_gains(constant: Probe, probes: list[Probe]) -> dict[str, tuple[float, str]]:
    """For each cue, its largest MAE improvement over another cue alone (or over the constant)."""
    alone = {p.cues[0]: p.mae_macro for p in probes if len(p.cues) == 1}
    gains: dict[str, tuple[float, str]] = {cue: (constant.mae_macro - mae, "constant") for cue, mae in alone.items()}
    for probe in probes:
        if len(probe.cues) != 2:
            continue
        for cue, other in (probe.cues, probe.cues[::-1]):
            gain = alone[other] - probe.mae_macro
            if gain > gains[cue][0]:
                gains[cue] = (gain, other)
    return gains


def _shares(items: tuple[Item, ...], subset_key: str) -> dict[str, dict[str, dict[int, int]]]:
    shares: dict[str, dict[str, dict[int, int]]] = {}
    for column in ("all", subset_key, "kind"):
        table: dict[str, Counter] = defaultdict(Counter)
        for item in items:
            value = "all" if column == "all" else str(item_value(item, column))
            table[value][item.label] += 1
        shares[column] = {value: dict(sorted(counts.items())) for value, counts in sorted(table.items())}
    return shares


def _same(keys: dict[Any, list[str]]) -> list[list[str]]:
    return sorted(sorted(names) for names in keys.values() if len(names) > 1)


def audit_items(task: str, items: tuple[Item, ...], subset_key: str, cluster_key: str,
                folds: int = FOLDS) -> AuditReport:
    """Run every probe and count shares, duplicates and clusters; bad input is a one-line DataError."""
    if not items:
        raise DataError(f"{task}: no items to audit")
    labels = np.asarray([item.label for item in items], dtype=float)
    if len(np.unique(labels)) < 2:
        raise DataError(f"{task}: every item is labelled {int(labels[0])}; a one-level task cannot be audited")
    missing = next((item for item in items if item_value(item, cluster_key) in (None, "")), None)
    if missing is not None:
        raise DataError(f"{task}: item {missing.item_id!r} has no cluster key {cluster_key!r} "
                        f"(set bootstrap.cluster in the task spec to a column every item has)")
    missing_video = next((item for item in items if not item.video_path.is_file()), None)
    if missing_video is not None:
        raise DataError(f"{task}: item {missing_video.item_id!r}: video {missing_video.video_path} is missing")
    facts = {name: video_facts(path) for name, path in {i.file_name: i.video_path for i in items}.items()}
    columns, skipped = {}, {}
    for cue, values in _cue_columns(items, facts).items():
        codes = _codes(values)
        if codes is None:
            skipped[cue] = "absent on some items" if any(v is None for v in values) else "the same on every item"
        else:
            columns[cue] = codes
    subsets = np.asarray([str(item_value(item, subset_key)) for item in items])
    clusters = np.asarray([str(item_value(item, cluster_key)) for item in items])
    if len(np.unique(clusters)) < 2:
        raise DataError(f"{task}: all items share one cluster ({cluster_key}); cross-validation needs two or more")
    constant, probes = run_probes(columns, labels, subsets, clusters, folds)
    same_item: dict[Any, list[str]] = defaultdict(list)
    same_bytes: dict[str, list[str]] = defaultdict(list)
    for item, shown in zip(items, _cue_columns(items, facts)["frames_shown"]):
        same_item[(facts[item.file_name].sha256, shown, item.instruction)].append(item.item_id)
    for name, fact in facts.items():
        same_bytes[fact.sha256].append(name)
    sizes = np.asarray(list(Counter(clusters.tolist()).values()))
    return AuditReport(
        task=task, items=len(items), cluster_key=cluster_key, folds=min(folds, len(np.unique(clusters))),
        constant=constant, probes=probes, gains=cue_gains(constant, probes),
        label_shares=_shares(items, subset_key), duplicate_items=_same(same_item),
        identical_videos=_same(same_bytes), clusters=len(sizes),
        cluster_sizes={"min": int(sizes.min()), "median": float(np.median(sizes)), "max": int(sizes.max())},
        skipped_cues=skipped)
