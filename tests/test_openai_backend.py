"""The openai backend against real HTTP servers on 127.0.0.1: a scripted loopback server and `transformers serve`."""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import time

import av
import numpy as np
import pytest
from PIL import Image

from cli_runner import rrbench
from loopback_server import LoopbackServer, Reply, echo_authorization, error_body
from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext
from roboreward_bench.models.openai_scoring import answer_index
from roboreward_bench.models.registry import build_model
from roboreward_bench.parsing import parse_helm
from roboreward_bench.results.predictions import read_predictions

KEY = "sk-test-9f8e7d6c5b4a39281706"
FAST = {"backoff_base": 0.01, "backoff_max": 0.05}

pytest_plugins = ["conftest_models"]


def openai_model(base_url: str, **args):
    return build_model("openai:test-model", {"base_url": base_url, "api_key_env": "RRB_TEST_KEY", **args},
                       ModelContext())[1]


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("RRB_TEST_KEY", KEY)


def test_retries_5xx_then_succeeds(sample_requests):
    plan = [Reply(500, body=error_body("boom")), Reply(503, body=error_body("busy"))]
    with LoopbackServer(plan=plan) as server:
        model = openai_model(server.base_url, **FAST)
        [response] = model.generate(sample_requests[:1])
    assert response.error is None and parse_helm(response.raw_text).value == 4
    assert len(server.seen) == 3
    assert model.describe()["calls"]["retries"] == 2


def test_429_waits_for_retry_after(sample_requests):
    with LoopbackServer(plan=[Reply(429, headers={"retry-after": "0.4"}, body=error_body("slow down"))]) as server:
        model = openai_model(server.base_url, **FAST)
        start = time.perf_counter()
        [response] = model.generate(sample_requests[:1])
        elapsed = time.perf_counter() - start
    assert response.error is None
    assert elapsed >= 0.4  # the backoff alone would be ≤ 0.05 s
    assert len(server.seen) == 2


def test_final_failure_is_an_item_error_not_a_crash(sample_requests):
    with LoopbackServer(default=Reply(502, body=error_body("bad gateway"))) as server:
        model = openai_model(server.base_url, max_retries=2, **FAST)
        responses = model.generate(sample_requests[:2])
    assert [r.item_id for r in responses] == ["item-0", "item-1"]
    assert all(r.error and "502" in r.error and "after 2 retries" in r.error for r in responses)
    assert len(server.seen) == 6


def test_client_errors_are_not_retried(sample_requests):
    with LoopbackServer(plan=[Reply(400, body=error_body("image too large"))]) as server:
        model = openai_model(server.base_url, **FAST)
        [response] = model.generate(sample_requests[:1])
    assert "image too large" in response.error
    assert len(server.seen) == 1


def test_timeout_is_retried_then_reported(sample_requests):
    with LoopbackServer(default=Reply(delay=1.5)) as server:
        model = openai_model(server.base_url, timeout=0.3, max_retries=1, **FAST)
        start = time.perf_counter()
        [response] = model.generate(sample_requests[:1])
        elapsed = time.perf_counter() - start
    assert response.error and "Timeout" in response.error
    assert len(server.seen) == 2
    assert elapsed < 1.5


def test_api_key_is_sent_but_never_leaks(sample_requests, tmp_path):
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with LoopbackServer(default=Reply(401, body=echo_authorization)) as server:
            model = openai_model(server.base_url, **FAST)
            [response] = model.generate(sample_requests[:1])
            logging.getLogger("openai").debug("request headers: Authorization: Bearer %s", KEY)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    headers = {k.lower(): v for k, v in server.seen[0].headers.items()}
    assert headers["authorization"] == f"Bearer {KEY}"
    assert "invalid credentials" in response.error
    assert KEY not in response.error and "[REDACTED]" in response.error
    assert KEY not in json.dumps(model.describe(), default=str)
    assert KEY not in repr(model.describe())
    logged = log_file.read_text()
    assert "[REDACTED]" in logged and KEY not in logged


def test_missing_key_for_remote_endpoint_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("RRB_TEST_KEY")
    with pytest.raises(ModelError, match="RRB_TEST_KEY is not set"):
        openai_model("https://api.example.com/v1")


def test_concurrency_limits_requests_in_flight(sample_requests):
    requests = [sample_requests[i % 4] for i in range(12)]
    with LoopbackServer(default=Reply(delay=0.25)) as server:
        model = openai_model(server.base_url, concurrency=4, batch_size=12)
        start = time.perf_counter()
        responses = model.generate(requests)
        elapsed = time.perf_counter() - start
    assert server.max_in_flight == 4
    assert elapsed < 12 * 0.25 / 2
    assert [r.item_id for r in responses] == [r.item_id for r in requests]
    usage = model.describe()["usage"]
    assert usage == {"prompt_tokens": 120, "completion_tokens": 36}


def _decode_jpeg(url: str) -> np.ndarray:
    assert url.startswith("data:image/jpeg;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_frames_are_sent_as_jpeg_images_in_request_order(sample_requests):
    request = sample_requests[0]
    video = request.video
    with LoopbackServer() as server:
        for quality in (30, 95):
            openai_model(server.base_url, jpeg_quality=quality).generate([request])
    sizes = []
    for seen in server.seen:
        [message] = seen.body["messages"]
        kinds = [part["type"] for part in message["content"]]
        assert kinds == ["image_url"] * video.frames.shape[0] + ["text"]
        images = [_decode_jpeg(part["image_url"]["url"]) for part in message["content"][:-1]]
        assert images[0].shape == video.frames[0].shape
        if seen.body is server.seen[-1].body:  # quality 95: each image is nearest to its own frame
            errors = [[np.abs(image.astype(int) - frame.astype(int)).mean() for frame in video.frames]
                      for image in images]
            assert [int(np.argmin(row)) for row in errors] == list(range(len(images)))
        sizes.append(sum(len(part["image_url"]["url"]) for part in message["content"][:-1]))
        # Without a task's settings (context.generation), HELM's discrete protocol: 5000 tokens at T=0.
        assert seen.body["temperature"] == 0.0 and seen.body["max_tokens"] == 5000
    assert sizes[0] < sizes[1]


def test_frames_as_one_video_url(sample_requests):
    request = sample_requests[1]
    with LoopbackServer() as server:
        openai_model(server.base_url, frames_as="video", max_tokens_param="max_completion_tokens").generate([request])
    content = server.seen[0].body["messages"][0]["content"]
    assert [part["type"] for part in content] == ["video_url", "text"]
    assert "max_completion_tokens" in server.seen[0].body and "max_tokens" not in server.seen[0].body
    data = base64.b64decode(content[0]["video_url"]["url"].split(",", 1)[1])
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == request.video.frames.shape[0]


def test_empty_completion_is_an_answer_not_an_error(sample_requests):
    with LoopbackServer(default=Reply(text="")) as server:
        [response] = openai_model(server.base_url).generate(sample_requests[:1])
    assert response.error is None and response.raw_text == "" and response.finish_reason == "stop"


def _token(text: str, logprob: float, top: list[tuple[str, float]] | None = None) -> dict:
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()),
            "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in (top or [])]}


def test_score_probs_from_server_logprobs(sample_requests):
    tokens = ["The", " cup", " moved", " 2", " cm", ".", " ANSWER", ":", " 4"]
    alternatives = [(" 4", math.log(0.6)), (" 5", math.log(0.2)), ("4", math.log(0.1)), (" 3", math.log(0.05)),
                    (" Hello", math.log(0.05))]
    content = [_token(t, -0.1) for t in tokens[:-1]] + [_token(tokens[-1], math.log(0.6), alternatives)]
    reply = Reply(text="".join(tokens), logprobs={"content": content})
    with LoopbackServer(plan=[reply, Reply(text="ANSWER: 3")]) as server:
        model = openai_model(server.base_url, score_probs=True, concurrency=1)
        with_probs, without = model.generate(sample_requests[:2])
    assert server.seen[0].body["logprobs"] is True and server.seen[0].body["top_logprobs"] == 20
    assert with_probs.score_probs == pytest.approx((0, 0, 0.05 / 0.95, 0.7 / 0.95, 0.2 / 0.95))
    assert without.score_probs is None and without.error is None  # server without logprobs


def test_answer_token_follows_the_parser():
    assert answer_index(["answer", ":", " 3", " then", " ANSWER", ":", " 5"]) == 2
    assert answer_index([" 2", " because", " the", " cup"]) == 0
    assert answer_index(["It", " moved", " 3", " cm"]) is None
    assert answer_index(["ANSWER", ": ", "7"]) is None


def test_fingerprint_tracks_generation_settings():
    base = openai_model("http://127.0.0.1:9/v1")
    assert base.fingerprint == openai_model("http://127.0.0.1:9/v1", concurrency=32).fingerprint
    assert base.fingerprint != openai_model("http://127.0.0.1:9/v1", temperature=0.7).fingerprint
    assert base.fingerprint != openai_model("http://127.0.0.1:9/v1", jpeg_quality=50).fingerprint
    assert base.fingerprint != openai_model("http://127.0.0.1:9/v1", score_probs=True).fingerprint
    assert base.fingerprint != openai_model("http://127.0.0.1:10/v1").fingerprint


def test_against_transformers_serve(served_tiny_model, tiny_qwen25_dir, sample_requests):
    model = build_model(f"openai:{tiny_qwen25_dir}", {"base_url": served_tiny_model, "concurrency": 2,
                                                      "max_tokens": 8}, ModelContext())[1]
    responses = model.generate(sample_requests)
    assert [r.error for r in responses] == [None] * 4, [r.error for r in responses]
    assert all(r.raw_text.strip() for r in responses)
    facts = model.describe()
    assert facts["usage"]["prompt_tokens"] > 4 * 8  # eight frames each, as images
    assert 0 < facts["usage"]["completion_tokens"] <= 4 * 8


def test_rrbench_eval_against_transformers_serve(served_tiny_model, tiny_qwen25_dir, small_dataset, tmp_path):
    out = tmp_path / "run"
    process = rrbench("eval", "--task", str(small_dataset), "--model", f"openai:{tiny_qwen25_dir}",
                      "--model-args", f"base_url={served_tiny_model},concurrency=4,max_tokens=8",
                      "--limit", "6", "--output-dir", str(out), "--cache-path", str(tmp_path / "cache.sqlite"),
                      "--no-progress", "--allow-errors")
    assert process.returncode == 0, process.stderr
    records = read_predictions(out / "predictions.jsonl")
    assert len(records) == 6 and all(r.error is None and r.raw_text for r in records)
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["details"]["usage"]["prompt_tokens"] > 0
