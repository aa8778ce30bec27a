"""``reviews.jsonl``: one line per human decision, appended durably beside the dataset.

A line holds ``item_id``, ``content_hash``, ``reviewer``, ``decision``
(``accept``, ``reject`` or ``relabel``), ``proposed_label``,
``corrected_label`` (the reviewer's label for a relabel, else null), ``note``
and ``time`` (UTC, ISO 8601). The file is never rewritten: a reviewer who
changes their mind appends a new line, and the last line for an item and
reviewer wins. A decision counts only while the item's content hash is the
one it was made on (see :mod:`~roboreward_bench.data.content_hash`).

An item's status combines every reviewer's current decision, most cautious
first: ``rejected`` if anyone rejected it, else ``relabelled`` if anyone gave
another label, else ``verified`` if anyone accepted it, else ``pending``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from roboreward_bench.data.items import Item
from roboreward_bench.rubric import LABELS
from roboreward_bench.errors import DataError

REVIEWS_FILE = "reviews.jsonl"
DECISIONS = ("accept", "reject", "relabel")
STATUSES = ("verified", "rejected", "relabelled", "pending")
_FIELDS = ("item_id", "content_hash", "reviewer", "decision", "proposed_label", "corrected_label", "note", "time")


@dataclass(frozen=True)
class ReviewRecord:
    """One decision on one item by one reviewer."""

    item_id: str
    content_hash: str
    reviewer: str
    decision: str
    proposed_label: int
    corrected_label: int | None
    note: str
    time: str

    @property
    def human_label(self) -> int | None:
        """The label the reviewer stands behind: the proposed one if accepted, theirs if relabelled."""
        if self.decision == "accept":
            return self.proposed_label
        if self.decision == "relabel":
            return self.corrected_label
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def reviews_path(root: Path) -> Path:
    """Where the decisions on the dataset in ``root`` live."""
    return Path(root) / REVIEWS_FILE


def record_from_dict(raw: Any, where: str) -> ReviewRecord:
    """Validate one parsed line; problems raise a one-line :class:`DataError` naming ``where``."""
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a JSON object")
    missing = [key for key in _FIELDS if key not in raw]
    if missing:
        raise DataError(f"{where}: missing {', '.join(missing)}")
    if raw["decision"] not in DECISIONS:
        raise DataError(f"{where}: decision must be one of {', '.join(DECISIONS)}, got {raw['decision']!r}")
    for key in ("item_id", "content_hash", "reviewer", "time"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise DataError(f"{where}: {key} must be a non-empty string")
    if raw["proposed_label"] not in LABELS or isinstance(raw["proposed_label"], bool):
        raise DataError(f"{where}: proposed_label must be an integer 1–5, got {raw['proposed_label']!r}")
    corrected = raw["corrected_label"]
    if raw["decision"] == "relabel" and (corrected not in LABELS or isinstance(corrected, bool)):
        raise DataError(f"{where}: a relabel needs corrected_label 1–5, got {corrected!r}")
    if raw["decision"] != "relabel" and corrected is not None:
        raise DataError(f"{where}: corrected_label must be null unless the decision is relabel")
    if not isinstance(raw["note"], str):
        raise DataError(f"{where}: note must be a string")
    return ReviewRecord(**{key: raw[key] for key in _FIELDS})


def read_reviews(path: Path) -> list[ReviewRecord]:
    """Every decision in file order; a missing file means none.

    A last line cut short (the process died mid-write, before the decision
    was acknowledged) is ignored; any other bad line is an error naming it.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")[:-1]  # what follows the last newline is empty, or a torn write
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{where}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
        records.append(record_from_dict(raw, where))
    return records


class ReviewLog:
    """Appends decisions to ``reviews.jsonl``; each append is flushed and fsynced before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._drop_torn_tail()

    def append(self, record: ReviewRecord) -> None:
        """Write one line durably: after this returns, a crash or power loss keeps the decision."""
        line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
        with self._lock:
            created = not self.path.exists()
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            if created:
                _fsync_directory(self.path.parent)

    def _drop_torn_tail(self) -> None:
        # A line cut short by a crash was never acknowledged; appending after it would glue
        # the next decision onto garbage, so cut the file back to its last complete line.
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
                handle.flush()
                os.fsync(handle.fileno())


def _fsync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the file itself is synced
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_decisions(records: Iterable[ReviewRecord], hashes: Mapping[str, str]) -> dict[str, dict[str, ReviewRecord]]:
    """item_id → reviewer → that reviewer's last decision made on the item's current content."""
    current: dict[str, dict[str, ReviewRecord]] = {}
    for record in records:
        if hashes.get(record.item_id) == record.content_hash:
            current.setdefault(record.item_id, {})[record.reviewer] = record
    return current


def stale_count(records: Iterable[ReviewRecord], hashes: Mapping[str, str]) -> int:
    """Decisions on items that still exist but whose content has changed since."""
    return sum(1 for r in records if r.item_id in hashes and hashes[r.item_id] != r.content_hash)


def item_status(decisions: Mapping[str, ReviewRecord] | None) -> str:
    """``verified``, ``rejected``, ``relabelled`` or ``pending`` from the reviewers' current decisions."""
    kinds = {record.decision for record in (decisions or {}).values()}
    if "reject" in kinds:
        return "rejected"
    if "relabel" in kinds:
        return "relabelled"
    if "accept" in kinds:
        return "verified"
    return "pending"


def item_statuses(root: Path, items: Iterable[Item]) -> dict[str, str]:
    """item_id → status for ``items`` from ``root/reviews.jsonl``."""
    from roboreward_bench.data.content_hash import content_hashes

    items = tuple(items)
    records = read_reviews(reviews_path(root))
    if not records:
        return {item.item_id: "pending" for item in items}
    current = current_decisions(records, content_hashes(items))
    return {item.item_id: item_status(current.get(item.item_id)) for item in items}


def accepted_item_ids(root: Path, items: Iterable[Item]) -> frozenset[str]:
    """Ids of the items a reviewer accepted and nobody rejected or relabelled, on their current content."""
    return frozenset(item_id for item_id, status in item_statuses(root, items).items() if status == "verified")


def verified_share(root: Path, items: Iterable[Item]) -> float:
    """The share of ``items`` that are human-verified (accepted); 0.0 for no items or no reviews."""
    items = tuple(items)
    if not items or not reviews_path(root).is_file():  # skip hashing every video when nobody reviewed
        return 0.0
    return len(accepted_item_ids(root, items)) / len(items)


def accepted_only(root: Path, items: tuple[Item, ...], fingerprint: str) -> tuple[tuple[Item, ...], str]:
    """``require_verified``: keep the accepted items, and fold their ids into the task fingerprint.

    The fingerprint changes whenever the set of scored items does, so results
    made before and after more reviews are never mixed up.
    """
    accepted = accepted_item_ids(root, items)
    if not accepted:
        raise DataError(f"{root}: the task requires verified items but no item is accepted in "
                        f"{reviews_path(root)}; review them with 'rrbench review {root}'")
    kept = tuple(item for item in items if item.item_id in accepted)
    digest = hashlib.sha256(fingerprint.encode())
    for item_id in sorted(accepted):
        digest.update(b"\0" + item_id.encode())
    return kept, digest.hexdigest()
