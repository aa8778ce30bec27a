"""The SQLite response cache and the runner's cache stage, on real files and real processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from roboreward_bench.models.base import Response, Usage, fingerprint_of
from roboreward_bench.models.cache import CacheStage, ResponseCache, cache_key, default_cache_path
from roboreward_bench.requests import Message, Request, TextPart, VideoPart, hash_messages


def make_request(item_id: str, text: str = "score it", pixel: int = 0) -> Request:
    frames = np.full((2, 4, 4, 3), pixel, dtype=np.uint8)
    messages = (Message("user", (VideoPart(frames, (0, 1), 10.0), TextPart(text))),)
    return Request(item_id, messages, "v1", hash_messages(messages))


class ScriptedModel:
    """A reward model whose answers are set per item id (the cache's inner model, not the thing tested)."""

    batch_size = 4

    def __init__(self, answers: dict[str, Response], settings: dict | None = None) -> None:
        self.answers = answers
        self.settings = settings or {"max_new_tokens": 8}
        self.name = "scripted"
        self.calls: list[list[str]] = []

    @property
    def fingerprint(self) -> str:
        return fingerprint_of({"name": self.name, **self.settings})

    def describe(self):
        return {"backend": "scripted"}

    def generate(self, requests):
        self.calls.append([r.item_id for r in requests])
        return [self.answers[r.item_id] for r in requests]


def through_stage(model: ScriptedModel, cache: ResponseCache, requests: list[Request],
                  task_fingerprint: str = "task-fp") -> tuple[list[Response], CacheStage]:
    """What the runner does with the stage: probe each request, ask the model for the misses, store them."""
    stage = CacheStage(cache, model.fingerprint, task_fingerprint)
    out = [stage.lookup(r.item_id, r.prompt_version, r.content_hash) for r in requests]
    missed = [i for i, hit in enumerate(out) if hit is None]
    if missed:
        fresh = model.generate([requests[i] for i in missed])
        stage.store([requests[i] for i in missed], fresh)
        for i, response in zip(missed, fresh):
            out[i] = response
    return out, stage  # type: ignore[return-value]


def answers(*ids: str) -> dict[str, Response]:
    return {i: Response(i, f"ANSWER: {len(i) % 5 + 1}", score_probs=(0.1, 0.2, 0.3, 0.2, 0.2), latency_s=0.5,
                        usage=Usage(100, 4)) for i in ids}


def test_second_run_is_served_from_the_cache(tmp_path):
    requests = [make_request(f"item-{i}", pixel=i) for i in range(5)]
    inner = ScriptedModel(answers(*(r.item_id for r in requests)))
    first, _ = through_stage(inner, ResponseCache(tmp_path / "c.sqlite"), requests)
    second, again = through_stage(inner, ResponseCache(tmp_path / "c.sqlite"), requests)
    assert len(inner.calls) == 1
    assert [r.raw_text for r in second] == [r.raw_text for r in first]
    assert [r.score_probs for r in second] == [r.score_probs for r in first]
    assert [r.usage for r in second] == [r.usage for r in first]
    assert all(r.cached for r in second) and not any(r.cached for r in first)
    assert again.describe()["hits"] == 5 and again.describe()["misses"] == 0


def test_only_complete_valid_answers_are_stored(tmp_path):
    requests = [make_request(i) for i in ("ok", "error", "empty", "blank")]
    scripted = answers("ok")
    scripted["error"] = Response("error", "", error="HTTP 500")
    scripted["empty"] = Response("empty", "")
    scripted["blank"] = Response("blank", "  \n")
    inner = ScriptedModel(scripted)
    cache = ResponseCache(tmp_path / "c.sqlite")
    through_stage(inner, cache, requests)
    assert cache.count() == 1
    through_stage(inner, cache, requests)
    assert inner.calls[1] == ["error", "empty", "blank"]


@pytest.mark.parametrize("change", ["model", "task", "content", "item", "settings", "prompt_version"])
def test_key_changes_with_every_component(change):
    request = make_request("a")
    base = cache_key("m", "t", request)
    if change == "model":
        key = cache_key("m2", "t", request)
    elif change == "task":
        key = cache_key("m", "t2", request)
    elif change == "content":
        key = cache_key("m", "t", make_request("a", pixel=1))
    elif change == "item":
        key = cache_key("m", "t", make_request("b"))
    elif change == "settings":
        key = cache_key("m", "t", request, {"num_frames": 8})
    else:
        key = cache_key("m", "t", Request("a", request.messages, "v2", request.content_hash))
    assert key != base
    assert cache_key("m", "t", make_request("a")) == base


def test_changed_generation_settings_miss(tmp_path):
    requests = [make_request("a")]
    cache = ResponseCache(tmp_path / "c.sqlite")
    through_stage(ScriptedModel(answers("a")), cache, requests)
    other = ScriptedModel(answers("a"), settings={"max_new_tokens": 64})
    through_stage(other, cache, requests)
    assert other.calls == [["a"]]


def test_wal_mode_and_default_location(tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c.sqlite")
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    cache.close()
    monkeypatch.setenv("RRBENCH_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_path() == tmp_path / "elsewhere" / "responses.sqlite"
    monkeypatch.delenv("RRBENCH_CACHE_DIR")
    assert default_cache_path() == Path.home() / ".cache" / "rrbench" / "responses.sqlite"


def test_corrupt_rows_are_misses_not_crashes(tmp_path):
    path = tmp_path / "c.sqlite"
    inner = ScriptedModel(answers("a"))
    through_stage(inner, ResponseCache(path), [make_request("a")])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE responses SET score_probs = '[0.5, oops'")
    responses, _ = through_stage(inner, ResponseCache(path), [make_request("a")])
    assert len(inner.calls) == 2 and not responses[0].cached


def _writer(path: str, worker: int, count: int) -> None:
    cache = ResponseCache(path)
    for i in range(count):
        response = Response(f"w{worker}-{i}", "ANSWER: 3")
        cache.put_many([(f"key-{worker}-{i}", "m", "t", response)])


def test_concurrent_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ResponseCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 50)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    assert ResponseCache(path).count() == 150


def test_committed_answers_survive_sigkill(tmp_path):
    path = tmp_path / "c.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from roboreward_bench.models.base import Response
        from roboreward_bench.models.cache import ResponseCache
        cache = ResponseCache({str(path)!r})
        for i in range(20):
            cache.put_many([(f"k{{i}}", "m", "t", Response(f"i{{i}}", "ANSWER: 2"))])
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert ResponseCache(path).count() == 20
    found = ResponseCache(path).get_many([f"k{i}" for i in range(20)])
    assert len(found) == 20 and all(r.raw_text == "ANSWER: 2" and r.cached for r in found.values())


def test_unwritable_location_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    from roboreward_bench.errors import RRBenchError

    with pytest.raises(RRBenchError, match="cannot open") as info:
        ResponseCache(blocker / "c.sqlite")
    assert "\n" not in str(info.value)
    assert os.path.exists(blocker)
