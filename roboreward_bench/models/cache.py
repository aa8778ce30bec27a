"""A crash-safe response cache: SQLite in WAL mode, shared by runs and shards.

An entry is keyed by the model fingerprint (name, revision or weights digest,
generation settings), the task fingerprint, the item id, the request's
``content_hash`` (rendered prompt, frame settings and the video file's
digest, so it is known before any frame is decoded), the prompt version and
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

from roboreward_bench.errors import RRBenchError
from roboreward_bench.models.base import Response, Usage
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


_INSERT = ("INSERT OR REPLACE INTO responses (key, model_fingerprint, task_fingerprint, item_id, raw_text, "
           "score_probs, latency_s, prompt_tokens, completion_tokens, created, finish_reason) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?)")


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
    """Answers with text are worth replaying (with their finish reason); errors, empty and refused ones are not."""
    return response.error is None and bool(response.raw_text.strip()) and not response.refusal


class ResponseCache:
    """A SQLite (WAL) table of responses; safe across threads and processes."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
            self._db.execute(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
            if "finish_reason" not in columns:  # caches written before finish reasons were kept
                self._db.execute("ALTER TABLE responses ADD COLUMN finish_reason TEXT")
            # Damaged pages can make lookups silently miss; check the structure once per open.
            verdict = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise RRBenchError(f"response cache {self.path}: cannot open ({exc}); pass another location "
                                   f"or --no-cache") from None
            self._set_aside(exc)
        except (OSError, sqlite3.Error) as exc:
            raise RRBenchError(f"response cache {self.path}: cannot open ({exc}); pass another location "
                               f"or --no-cache") from None

    def _set_aside(self, exc: BaseException) -> None:
        """A corrupted cache is moved aside (kept for inspection) and this run goes on without one."""
        import sys

        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                try:
                    source.replace(Path(str(aside) + suffix))
                except OSError:
                    pass
        reason = " ".join(str(exc).split())
        print(f"rrbench: warning: response cache {self.path} is corrupted ({reason}); moved it to {aside} "
              "and going on without a cache", file=sys.stderr)

    def get_many(self, keys: Sequence[str]) -> dict[str, Response]:
        """The stored responses among ``keys`` (item ids are filled in by the caller)."""
        try:
            return self._get_many(keys)
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise
            with self._lock:
                self._set_aside(exc)
            return {}

    def _get_many(self, keys: Sequence[str]) -> dict[str, Response]:
        found: dict[str, Response] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            if self._db is None:
                return found
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, item_id, raw_text, score_probs, latency_s, prompt_tokens, completion_tokens, "
                    f"finish_reason "
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
                 float(r.latency_s), r.usage.prompt_tokens, r.usage.completion_tokens, time.time(), r.finish_reason)
                for key, model_fp, task_fp, r in entries if is_cacheable(r)]
        if not rows:
            return 0
        with self._lock:
            if self._db is None:
                return 0
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(_INSERT, rows)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                if not _is_corruption(exc):
                    raise
                self._set_aside(exc)
                return 0
        return len(rows)

    def count(self) -> int:
        with self._lock:
            return 0 if self._db is None else int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _row_to_response(row: tuple) -> Response | None:
    """A stored row as a Response, or None if the row is unusable (then it is a miss)."""
    _, item_id, raw_text, probs_json, latency, prompt_tokens, completion_tokens, finish_reason = row
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
                    usage=Usage(int(prompt_tokens or 0), int(completion_tokens or 0)), cached=True,
                    finish_reason=finish_reason if isinstance(finish_reason, str) else None)


class CacheStage:
    """The runner's response-cache stage, for a backend registered with ``cache=True``.

    The runner asks :meth:`lookup` for each item before its frames are
    decoded (a hit is answered from the cache), sends only the misses to the
    model, and hands the answers to :meth:`store`. Each request is probed once.
    """

    def __init__(self, cache: ResponseCache, model_fingerprint: str, task_fingerprint: str,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.cache = cache
        self.model_fingerprint = model_fingerprint
        self.task_fingerprint = task_fingerprint
        self.settings = dict(settings or {})
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self.seconds = 0.0  # time in cache reads and writes

    def describe(self) -> dict[str, Any]:
        """What the stage did, for results.json (``model.details.cache``)."""
        return {"path": str(self.cache.path), "hits": self.hits, "misses": self.misses, "stored": self.stored,
                "seconds": round(self.seconds, 4)}

    def lookup(self, item_id: str, prompt_version: str, content_hash: str) -> Response | None:
        """The cached answer for a request not built yet, or None (a miss)."""
        started = time.perf_counter()
        key = probe_key(self.model_fingerprint, self.task_fingerprint, item_id, prompt_version, content_hash,
                        self.settings)
        hit = self.cache.get_many([key]).get(key)
        self.seconds += time.perf_counter() - started
        if hit is None:
            self.misses += 1
            return None
        self.hits += 1
        return replace(hit, item_id=item_id)

    def store(self, requests: Sequence[Request], responses: Sequence[Response]) -> None:
        """Commit the model's complete, valid answers to ``requests`` (in the same order) in one transaction."""
        started = time.perf_counter()
        self.stored += self.cache.put_many([
            (cache_key(self.model_fingerprint, self.task_fingerprint, request, self.settings),
             self.model_fingerprint, self.task_fingerprint, response)
            for request, response in zip(requests, responses)])
        self.seconds += time.perf_counter() - started
