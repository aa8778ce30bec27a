"""A crash-safe response cache: SQLite in WAL mode, shared by runs and shards.

An entry is keyed by the model fingerprint (name, revision or weights digest,
generation settings), the task fingerprint, the item id, the request's
``content_hash`` (rendered prompt + exact frame bytes), the prompt version and
any extra settings the caller names. Only complete, valid responses are
stored: no error and non-empty text. Each batch is committed in one
transaction, so a killed run loses at most the batch in flight, and several
processes (shards) may share one file.

The default location is ``$RRBENCH_CACHE_DIR/responses.sqlite``, else
``~/.cache/rrbench/responses.sqlite``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from roboreward_bench.answers import TRUNCATED_FINISH_REASONS
from roboreward_bench.errors import RRBenchError
from roboreward_bench.models.base import Response, RewardModel, Usage
from roboreward_bench.requests import Request

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model_fingerprint TEXT NOT NULL,
    task_fingerprint TEXT NOT NULL,
    item_id TEXT NOT NULL,
    raw_text TEXT NOT NULL,
    score_probs TEXT,
    latency_s REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
)"""


def default_cache_path() -> Path:
    """``$RRBENCH_CACHE_DIR/responses.sqlite`` or ``~/.cache/rrbench/responses.sqlite``."""
    root = os.environ.get("RRBENCH_CACHE_DIR") or Path.home() / ".cache" / "rrbench"
    return Path(root) / "responses.sqlite"


def cache_key(model_fingerprint: str, task_fingerprint: str, request: Request,
              settings: Mapping[str, Any] | None = None) -> str:
    """SHA-256 naming one model's answer to one rendered request within one task."""
    return probe_key(model_fingerprint, task_fingerprint, request.item_id, request.prompt_version,
                     request.content_hash, settings)


def probe_key(model_fingerprint: str, task_fingerprint: str, item_id: str, prompt_version: str, content_hash: str,
              settings: Mapping[str, Any] | None = None) -> str:
    """The cache key from a request's identity alone, so it can be probed before frames are decoded."""
    payload = json.dumps([SCHEMA_VERSION, model_fingerprint, task_fingerprint, item_id,
                          prompt_version, content_hash, dict(settings or {})],
                         sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def is_cacheable(response: Response) -> bool:
    """Only complete answers are worth replaying: not errors, and not empty, refused or cut-off answers
    (the cache does not keep the finish reason that would say why they were invalid)."""
    return (response.error is None and bool(response.raw_text.strip()) and not response.refusal
            and response.finish_reason not in TRUNCATED_FINISH_REASONS)


class ResponseCache:
    """A SQLite (WAL) table of responses; safe across threads and processes."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise RRBenchError(f"response cache {self.path}: cannot open ({exc}); pass another location "
                               f"or --no-cache") from None
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, Response]:
        """The stored responses among ``keys`` (item ids are filled in by the caller)."""
        found: dict[str, Response] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, item_id, raw_text, score_probs, latency_s, prompt_tokens, completion_tokens "
                    f"FROM responses WHERE key IN ({marks})", chunk).fetchall()
                for row in rows:
                    response = _row_to_response(row)
                    if response is not None:
                        found[row[0]] = response
        return found

    def put_many(self, entries: Sequence[tuple[str, str, str, Response]]) -> int:
        """Store ``(key, model_fp, task_fp, response)`` entries in one transaction; returns how many."""
        rows = [(key, model_fp, task_fp, r.item_id, r.raw_text,
                 json.dumps(list(r.score_probs)) if r.score_probs is not None else None,
                 float(r.latency_s), r.usage.prompt_tokens, r.usage.completion_tokens, time.time())
                for key, model_fp, task_fp, r in entries if is_cacheable(r)]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _row_to_response(row: tuple) -> Response | None:
    """A stored row as a Response, or None if the row is unusable (then it is a miss)."""
    _, item_id, raw_text, probs_json, latency, prompt_tokens, completion_tokens = row
    probs = None
    if probs_json is not None:
        try:
            values = json.loads(probs_json)
            probs = tuple(float(v) for v in values)
        except (ValueError, TypeError):
            return None
        if len(probs) != 5:
            return None
    if not isinstance(raw_text, str) or not raw_text.strip():
        return None
    return Response(item_id=item_id, raw_text=raw_text, score_probs=probs, latency_s=float(latency or 0.0),
                    usage=Usage(int(prompt_tokens or 0), int(completion_tokens or 0)), cached=True)


class CachedModel:
    """A :class:`RewardModel` that answers from a :class:`ResponseCache` and asks ``inner`` for the rest.

    Misses go to ``inner.generate`` in one call (so the inner model batches
    them); its valid answers are committed before they are returned.
    """

    def __init__(self, inner: RewardModel, cache: ResponseCache, task_fingerprint: str,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.task_fingerprint = task_fingerprint
        self.settings = dict(settings or {})
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self.cache_seconds = 0.0  # time in cache reads and writes (not in the inner model)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def describe(self) -> Mapping[str, Any]:
        facts = dict(self.inner.describe())
        facts["cache"] = {"path": str(self.cache.path), "hits": self.hits, "misses": self.misses,
                          "stored": self.stored, "seconds": round(self.cache_seconds, 4)}
        return facts

    def lookup(self, item_id: str, prompt_version: str, content_hash: str) -> Response | None:
        """The cached answer for a request not built yet (the runner asks before decoding frames)."""
        started = time.perf_counter()
        key = probe_key(self.inner.fingerprint, self.task_fingerprint, item_id, prompt_version, content_hash,
                        self.settings)
        hit = self.cache.get_many([key]).get(key)
        self.cache_seconds += time.perf_counter() - started
        if hit is None:
            return None
        self.hits += 1
        return replace(hit, item_id=item_id)

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """Cached answers for known requests, fresh ones (then stored) for the rest; order kept."""
        started = time.perf_counter()
        model_fp = self.inner.fingerprint
        keys = [cache_key(model_fp, self.task_fingerprint, r, self.settings) for r in requests]
        stored = self.cache.get_many(keys)
        out: list[Response | None] = []
        for request, key in zip(requests, keys):
            hit = stored.get(key)
            out.append(replace(hit, item_id=request.item_id) if hit is not None else None)
        missing = [i for i, response in enumerate(out) if response is None]
        self.hits += len(requests) - len(missing)
        self.misses += len(missing)
        self.cache_seconds += time.perf_counter() - started
        if missing:
            fresh = self.inner.generate([requests[i] for i in missing])
            if len(fresh) != len(missing):
                raise RuntimeError(f"{self.inner.name} returned {len(fresh)} responses for {len(missing)} requests")
            started = time.perf_counter()
            self.stored += self.cache.put_many([(keys[i], model_fp, self.task_fingerprint, r)
                                                for i, r in zip(missing, fresh)])
            self.cache_seconds += time.perf_counter() - started
            for i, response in zip(missing, fresh):
                out[i] = response
        return out  # type: ignore[return-value]
