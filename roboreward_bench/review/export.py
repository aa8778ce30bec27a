"""``rrbench review export``: a new dataset folder with the human decisions applied.

The reviewed folder is never changed. The new folder holds every row except
rejected ones; a relabelled row gets the reviewers' label in ``reward``, the
proposed one in ``relabelled_from``, and loses ``frame_labels`` (they ended
at the old label). Its ``reviews.jsonl`` carries the decisions over, a
relabel becoming an acceptance of the corrected item, so a task version with
``require_verified: true`` scores the accepted and relabelled items.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

from roboreward_bench.data.items import Item
from roboreward_bench.data.local import METADATA_FILE
from roboreward_bench.data.manifest import MANIFEST_FILE
from roboreward_bench.errors import DataError
from roboreward_bench.data.content_hash import content_hashes, item_content_hash
from roboreward_bench.data.reviews import (ReviewLog, ReviewRecord, current_decisions, item_status, read_reviews,
                                           reviews_path)
from roboreward_bench.tasks.spec import TaskSpec

_SHOWN = 20


@dataclass(frozen=True)
class ExportReport:
    """What went into the new folder."""

    out: Path
    kept: int
    relabelled: int
    dropped: int
    pending: int


def export_reviewed(root: Path, items: tuple[Item, ...], out: Path) -> ExportReport:
    """Write ``out`` from the dataset in ``root`` with its reviews applied; ``root`` is left as it is."""
    root, out = Path(root), Path(out)
    if out.resolve() == root.resolve():
        raise DataError(f"{out}: the export must go to a new folder, not the reviewed one")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out}: already exists and is not empty; choose a new folder")
    current = current_decisions(read_reviews(reviews_path(root)), content_hashes(items))
    by_id = {item.item_id: item for item in items}
    labels = _resolved_labels(items, current)
    out.mkdir(parents=True, exist_ok=True)
    rows, carried, files = [], [], set()
    counts = {"relabelled": 0, "dropped": 0, "pending": 0}
    for row in _raw_rows(root):
        item = by_id[str(row.get("item_id", row["file_name"]))]
        status = item_status(current.get(item.item_id))
        if status == "rejected":
            counts["dropped"] += 1
            continue
        counts["pending"] += status == "pending"
        if status == "relabelled":
            counts["relabelled"] += 1
            row = {**{k: v for k, v in row.items() if k != "frame_labels"},
                   "reward": labels[item.item_id], "relabelled_from": item.label}
        rows.append(row)
        files.add(item.file_name)
        carried.append((item, status))
    for name in sorted(files):
        _link_or_copy(root / name, out / name)
    with open(out / METADATA_FILE, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if (root / MANIFEST_FILE).is_file():
        from roboreward_bench.data.manifest import write_manifest

        write_manifest(out, [METADATA_FILE, *files])
    _carry_reviews(out, carried, current, labels)
    return ExportReport(out=out, kept=len(rows), dropped=counts["dropped"], relabelled=counts["relabelled"],
                        pending=counts["pending"])


def _resolved_labels(items: tuple[Item, ...], current: Mapping[str, Mapping[str, ReviewRecord]]) -> dict[str, int]:
    """item_id → the one label its reviewers agree on; disagreements stop the export."""
    labels, conflicts = {}, []
    for item in items:
        decisions = current.get(item.item_id, {})
        if item_status(decisions) == "rejected":
            continue
        given = {reviewer: r.human_label for reviewer, r in sorted(decisions.items())}
        if len(set(given.values())) > 1:
            conflicts.append(f"{item.item_id}: reviewers disagree ("
                             + ", ".join(f"{who}: {label}" for who, label in given.items()) + ")")
        labels[item.item_id] = next(iter(given.values()), item.label)
    if conflicts:
        more = f"\n… and {len(conflicts) - _SHOWN} more" if len(conflicts) > _SHOWN else ""
        raise DataError("cannot export while reviewers disagree; a reviewer's newest decision replaces "
                        "their older one, so review these again:\n" + "\n".join(conflicts[:_SHOWN]) + more)
    return labels


def _raw_rows(root: Path) -> list[dict[str, Any]]:
    # The loader has validated every row already; here they are copied with all their columns.
    with open(root / METADATA_FILE, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _link_or_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise DataError(f"{source}: video file not found; reject the item or restore the file before exporting")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


def _carry_reviews(out: Path, carried: list[tuple[Item, str]],
                   current: Mapping[str, Mapping[str, ReviewRecord]], labels: Mapping[str, int]) -> None:
    log = ReviewLog(reviews_path(out))
    for item, status in carried:
        if status not in ("verified", "relabelled"):
            continue
        if status == "verified":
            for record in current[item.item_id].values():
                log.append(record)
            continue
        new_item = replace(item, label=labels[item.item_id], video_path=out / item.file_name)
        new_hash = item_content_hash(new_item)
        for record in current[item.item_id].values():
            note = f"relabelled from {item.label}" + (f"; {record.note}" if record.note else "")
            log.append(replace(record, content_hash=new_hash, decision="accept", proposed_label=new_item.label,
                               corrected_label=None, note=note))


def next_version_yaml(spec: TaskSpec, dataset_root: Path, out: Path) -> str:
    """The task YAML for the exported folder: the old spec with ``version`` bumped and a local source."""
    out = Path(out).resolve()
    if spec.path is not None and Path(spec.path).is_file():
        from roboreward_bench.tasks.spec_errors import read_yaml_mapping

        raw = read_yaml_mapping(Path(spec.path), what="task file")
        base = Path(spec.path).resolve().parent
        where = os.path.relpath(out, base) if out.is_relative_to(base) else str(out)
    else:
        raw = {"name": Path(dataset_root).resolve().name, "version": spec.version,
               "description": f"Human-reviewed export of {Path(dataset_root).resolve()}"}
        where = str(out)
    raw["version"] = spec.version + 1
    raw["source"] = {"kind": "local", "path": where, "split": spec.source.split}
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
