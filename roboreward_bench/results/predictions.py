"""``predictions.jsonl``: one JSON object per item, appended as the run goes.

Each line is a :class:`PredictionRecord`. The file is the unit of trust: the
scorer and the leaderboard validator recompute every metric from it and the
task's own labels. This module is the one reader: :func:`parse_predictions`
returns the records and every problem (the validator lists them all),
:func:`read_predictions` raises on the first (the CLI).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Iterable, Sequence

from roboreward_bench.errors import PredictionsError
from roboreward_bench.models.redaction import redact

PREDICTIONS_FILE = "predictions.jsonl"


@dataclass(frozen=True)
class PredictionRecord:
    """One item's model output.

    ``parsed`` is the value the run's parser read from ``raw_text`` (None when
    invalid); ``error`` is set when the model produced no answer at all
    (unreadable video, failed request). ``score_probs`` are P(answer = 1..5).
    ``invalid_reason`` says why an answer is invalid (empty, refused,
    truncated, no_number); ``finish_reason`` and ``refusal`` are what the
    backend reported, kept so a re-score reaches the same reason.
    """

    item_id: str
    raw_text: str
    parsed: float | str | None
    valid: bool
    error: str | None = None
    latency_s: float = 0.0
    score_probs: tuple[float, ...] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    invalid_reason: str | None = None
    finish_reason: str | None = None
    refusal: str | None = None
    frames_used: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:  # JSON gives lists; keep records hashable and comparable
        if self.frames_used is not None and not isinstance(self.frames_used, tuple):
            object.__setattr__(self, "frames_used", tuple(tuple(int(i) for i in v) for v in self.frames_used))

    def to_json(self) -> str:
        """One line of JSON, without a trailing newline."""
        row = asdict(self)
        for key in ("error", "refusal"):  # messages can quote a URL with credentials or a key
            if row[key]:
                row[key] = redact(row[key])
        if self.score_probs is not None:
            row["score_probs"] = list(self.score_probs)
        if self.frames_used is None:
            row.pop("frames_used")
        return json.dumps(row, ensure_ascii=False, allow_nan=False)


_REQUIRED = ("item_id", "raw_text", "parsed", "valid")
_FIELD_NAMES = {f.name for f in fields(PredictionRecord)}


def record_from_row(row: object, where: str) -> PredictionRecord:
    """Validate one decoded JSON row; ``where`` is ``file:line`` for errors."""
    if not isinstance(row, dict):
        raise PredictionsError(f"{where}: expected a JSON object")
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise PredictionsError(f"{where}: missing field(s) {', '.join(missing)}")
    if not isinstance(row["item_id"], str) or not row["item_id"]:
        raise PredictionsError(f"{where}: item_id must be a non-empty string")
    if not isinstance(row["raw_text"], str):
        raise PredictionsError(f"{where}: raw_text must be a string")
    parsed = row["parsed"]
    if parsed is not None and not isinstance(parsed, str) and (
            isinstance(parsed, bool) or not isinstance(parsed, (int, float)) or not math.isfinite(parsed)):
        raise PredictionsError(f"{where}: parsed must be a finite number, a choice (preference) or null")
    for key in ("error", "invalid_reason", "finish_reason", "refusal"):
        if row.get(key) is not None and not isinstance(row[key], str):
            raise PredictionsError(f"{where}: {key} must be a string or null")
    probs = row.get("score_probs")
    if probs is not None:
        if (not isinstance(probs, list) or len(probs) != 5
                or not all(isinstance(p, (int, float)) and 0 <= p <= 1 for p in probs)):
            raise PredictionsError(f"{where}: score_probs must be a list of 5 probabilities")
        probs = tuple(float(p) for p in probs)
    known = {k: v for k, v in row.items() if k in _FIELD_NAMES}
    known["score_probs"] = probs
    known["parsed"] = parsed if parsed is None or isinstance(parsed, str) else float(parsed)
    try:
        return PredictionRecord(**known)
    except (TypeError, ValueError) as exc:
        raise PredictionsError(f"{where}: {exc}") from None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


# One decoder for every call; NaN and Infinity are not JSON and rrbench never writes them.
_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def decode_json(text: str, where: str) -> tuple[object, str | None]:
    """Decode untrusted JSON (no NaN or Infinity, bounded nesting): the value, or a one-line problem."""
    try:
        return _DECODER.decode(text), None
    except json.JSONDecodeError as exc:
        return None, f"{where}:{exc.lineno}: not valid JSON ({exc.msg})"
    except ValueError as exc:
        return None, f"{where}: not valid JSON ({exc})"
    except RecursionError:
        return None, f"{where}: JSON nested too deeply"


def parse_predictions(text: str | bytes, source: str,
                      allow_partial_last_line: bool = False) -> tuple[list[PredictionRecord], list[str]]:
    """Every well-formed record of a predictions.jsonl text, and every problem found, as one-line strings.

    Malformed lines and duplicate ids are problems (each names ``source:line``);
    an empty file is one. With ``allow_partial_last_line`` a final line cut
    short by a crash is dropped silently (resume uses this). Given bytes, each
    line is decoded on its own, so a line torn inside a multi-byte character
    is just a torn line.
    """
    records: list[PredictionRecord] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    lines = text.split(b"\n" if isinstance(text, bytes) else "\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{source}:{number}"
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            line = None
        row, problem = decode_json(line, where) if line is not None else (None, f"{where}: not UTF-8 text")
        if problem is not None:
            problem = problem.replace(f"{where}:1:", f"{where}:")  # one line: its number is already in ``where``
        else:
            try:
                record = record_from_row(row, where)
            except PredictionsError as exc:
                problem = str(exc)
        if problem is not None:
            if not (allow_partial_last_line and all(not rest.strip() for rest in lines[number:])):
                problems.append(problem)
            continue
        if record.item_id in first_line:
            problems.append(f"{where}: duplicate item_id {record.item_id!r} (first on line {first_line[record.item_id]})")
            continue
        first_line[record.item_id] = number
        records.append(record)
    if not records and not problems and not allow_partial_last_line:
        problems.append(f"{source}: no predictions")
    return records, problems


def coverage_problems(item_ids: Sequence[str], records: Sequence[PredictionRecord], source: str,
                      task: str) -> list[str]:
    """Problems unless ``records`` cover the task's items exactly (duplicates are caught while reading)."""
    have = {record.item_id for record in records}
    missing = [i for i in item_ids if i not in have]
    extra = sorted(have - set(item_ids))
    problems = []
    if missing:
        problems.append(f"{source}: {len(missing)} item(s) of task {task!r} have no prediction ({_preview(missing)})")
    if extra:
        problems.append(f"{source}: {len(extra)} item id(s) are not in task {task!r} ({_preview(extra)})")
    return problems


def _preview(ids: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", … +{len(ids) - limit} more" if len(ids) > limit else "")


def raise_problems(problems: Sequence[str]) -> None:
    """The CLI's view of a problem list: the first one as a :class:`PredictionsError`, counting the rest."""
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise PredictionsError(problems[0] + more)


def read_predictions(path: Path | str, allow_partial_last_line: bool = False) -> list[PredictionRecord]:
    """Read a predictions file, raising on the first problem :func:`parse_predictions` finds.

    An empty file reads as no records when ``allow_partial_last_line`` (resume)
    is set, and is an error otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise PredictionsError(f"{path}: no such predictions file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PredictionsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    records, problems = parse_predictions(data, str(path), allow_partial_last_line)
    raise_problems(problems)
    return records


class PredictionsWriter:
    """Appends records one line at a time.

    Every line is flushed to the OS at once, so a killed process loses at most
    the line being written (resume drops a half line). fsync, which guards
    against power loss rather than crashes, runs at most every
    ``fsync_interval`` seconds and on close: per line it cost ~3 ms here.
    """

    def __init__(self, path: Path | str, truncate_partial_line: bool = True, fsync_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.fsync_interval = fsync_interval
        self._last_sync = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if truncate_partial_line:
            _drop_partial_last_line(self.path)
        self._handle: IO[str] = open(self.path, "a", encoding="utf-8")

    def write(self, record: PredictionRecord) -> None:
        """Append one record and flush it."""
        self._handle.write(record.to_json() + "\n")
        self._handle.flush()
        if time.monotonic() - self._last_sync >= self.fsync_interval:
            os.fsync(self._handle.fileno())
            self._last_sync = time.monotonic()

    def write_all(self, records: Iterable[PredictionRecord]) -> None:
        """Append several records."""
        for record in records:
            self.write(record)

    def close(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()

    def __enter__(self) -> "PredictionsWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rewrite_predictions(path: Path, records: Iterable[PredictionRecord]) -> None:
    """Replace ``path`` with ``records`` atomically (temp file, fsync, rename): a crash keeps the old or new file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _drop_partial_last_line(path: Path) -> None:
    """Cut a trailing line without its newline (a write interrupted by a crash)."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as handle:
            handle.truncate(cut)
