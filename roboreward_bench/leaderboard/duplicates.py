"""One row per model: refuse a verified submission that repeats another one.

Two submissions are the same when they answer every item the same way for
the same task version: the digest below covers each item's parsed answer,
validity, error state and score probabilities, and nothing a re-run changes
(line order, latency, token counts, cache flags, wording the parser reads the
same). The same organisation and model name in two folders is also one model
twice. The earlier submission (by date, then folder name) is the existing
one; the later is refused with a line naming it. A model is resubmitted by
replacing its own folder (``rrbench submit --force``); git keeps the history.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from roboreward_bench.leaderboard.safety import ALLOWED_FILES, PREDICTIONS_FILE, SUBMISSION_FILE, load_yaml
from roboreward_bench.leaderboard.schema import VerifiedSubmission, parse_submission


def _answer(item_id: object, parsed: object, valid: bool, error: object, probs: object) -> tuple:
    """What one item's answer is, for comparing submissions: nothing a re-run changes."""
    valid = bool(valid) and error is None
    probs = [round(float(p), 6) for p in probs] if isinstance(probs, (list, tuple)) and all(
        isinstance(p, (int, float)) for p in probs) else None
    return (str(item_id), float(parsed) if valid and isinstance(parsed, (int, float)) else None, valid,
            error is not None, probs)


def _digest(answers: list[tuple], task_fingerprint: str) -> str:
    answers.sort(key=lambda a: a[0])
    text = json.dumps([task_fingerprint, answers], separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def records_digest(records: Iterable, task_fingerprint: str) -> str:
    """The digest of parsed prediction records (what the validator has already read)."""
    return _digest([_answer(r.item_id, r.parsed, r.valid, r.error, r.score_probs) for r in records],
                   task_fingerprint)


def predictions_digest(data: bytes, task_fingerprint: str) -> str | None:
    """The same digest straight from a predictions.jsonl's bytes; None when it does not parse."""
    answers = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            return None
        if not isinstance(row, dict):
            return None
        answers.append(_answer(row.get("item_id"), row.get("parsed"), row.get("valid"), row.get("error"),
                               row.get("score_probs")))
    return _digest(answers, task_fingerprint)


@dataclass(frozen=True)
class Entry:
    folder: Path
    date: str
    model_key: tuple[str, str, str]  # task fingerprint, organisation, name
    digest: str | None


def entry_for(folder: Path, meta: VerifiedSubmission, digest: str | None = None) -> Entry:
    """What duplicate detection needs of one verified folder (``digest`` if the validator already made it)."""
    if digest is None:
        path = folder / PREDICTIONS_FILE
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        digest = predictions_digest(data, meta.task_fingerprint) if data else None
    key = (meta.task_fingerprint, meta.model.organisation.strip().casefold(), meta.model.name.strip().casefold())
    return Entry(folder, meta.date, key, digest)


def _sibling_entry(folder: Path) -> Entry | None:
    """A folder that is not being validated now, read just enough to compare with (None if unreadable)."""
    path = folder / SUBMISSION_FILE
    if folder.is_symlink() or not path.is_file() or path.is_symlink():
        return None
    if path.stat().st_size > ALLOWED_FILES[SUBMISSION_FILE]:
        return None
    raw, problem = load_yaml(path.read_text(encoding="utf-8", errors="replace"), path)
    if problem:
        return None
    meta, problems = parse_submission(raw, str(path))
    if problems or not isinstance(meta, VerifiedSubmission):
        return None
    return entry_for(folder, meta)


def duplicate_problem(entry: Entry, existing: Entry) -> str:
    same = "predictions" if entry.digest is not None and entry.digest == existing.digest else "model"
    what = ("answers every item exactly as" if same == "predictions"
            else f"names the same model ({existing.model_key[2]!r} of {existing.model_key[1]!r}) as")
    return (f"{entry.folder}: duplicate: {what} {existing.folder} (submitted {existing.date}); one row per "
            f"model: to resubmit, replace that folder (rrbench submit --force), git keeps its history")


def find_duplicates(checked: Iterable) -> dict[Path, str]:
    """Folder → problem for each checked verified submission that repeats an earlier one in its task folder."""
    checked = [c for c in checked if isinstance(c.meta, VerifiedSubmission) and c.ok]
    mine = {c.folder.absolute(): entry_for(c.folder, c.meta, c.digest) for c in checked}
    problems: dict[Path, str] = {}
    for task in sorted({c.folder.parent for c in checked}):
        entries = [mine.get(folder.absolute()) or _sibling_entry(folder)
                   for folder in sorted(task.iterdir()) if folder.is_dir() and not folder.is_symlink()]
        seen_digest: dict[str, Entry] = {}
        seen_model: dict[tuple[str, str], Entry] = {}
        for entry in sorted((e for e in entries if e is not None), key=lambda e: (e.date, e.folder.name)):
            existing = (seen_digest.get(entry.digest) if entry.digest else None) or seen_model.get(entry.model_key)
            if existing is not None:
                if entry.folder.absolute() in mine:
                    problems[entry.folder.absolute()] = duplicate_problem(entry, existing)
                continue
            if entry.digest:
                seen_digest[entry.digest] = entry
            seen_model[entry.model_key] = entry
    return problems


def with_duplicates_refused(checked: list) -> list:
    """``checked`` with a duplicate problem added to each submission that repeats an earlier one."""
    problems = find_duplicates(checked)
    return [replace(c, problems=c.problems + (problems[c.folder.absolute()],))
            if c.folder.absolute() in problems else c for c in checked]
