"""An answer is not an error: invalid answers are scored and counted by reason; errors are retried on re-run."""

from __future__ import annotations

import glob
import json
import shutil
from pathlib import Path

import pytest

from cli_runner import rrbench
from loopback_server import LoopbackServer, Reply, completion, error_body
from roboreward_bench.answers import INVALID_REASONS, judge_answer
from roboreward_bench.parsing import parse_helm
from roboreward_bench.results.predictions import read_predictions
from tiny_models import tiny_model_dir


@pytest.mark.parametrize("text,finish,refusal,value,reason", [
    ("ANSWER: 4", "stop", None, 4.0, None),
    ("3", None, None, 3.0, None),
    ("ANSWER: 2 and then the robot", "length", None, 2.0, None),  # cut off after the answer: still read
    ("", "stop", None, None, "empty"),
    ("  \n\t ", None, None, None, "empty"),
    ("", "length", None, None, "truncated"),  # e.g. a reasoning model spent every token thinking
    ("The gripper closes on the cup and", "length", None, None, "truncated"),
    ("The gripper closes on the cup and", "max_tokens", None, None, "truncated"),
    ("", "stop", "I can't help with that.", None, "refused"),
    ("ANSWER: 5", "stop", "policy", None, "refused"),  # the backend said it refused: not an answer to score
    ("I'm sorry, but I cannot rate this video.", "stop", None, None, "refused"),
    ("As an AI, I do not judge robots.", "stop", None, None, "refused"),
    ("Sorry - the video is too dark.", "stop", None, None, "refused"),
    ("The robot seems to make good progress.", "stop", None, None, "no_number"),
    ("3rd attempt looks fine", "stop", None, None, "no_number"),
    ("ANSWER: five", "stop", None, None, "no_number"),
])
def test_judge_answer_reasons(text, finish, refusal, value, reason):
    judged = judge_answer(text, parse_helm, finish, refusal)
    assert (judged.value, judged.reason) == (value, reason)
    assert judged.valid == (value is not None)


def _refusal_body(headers: dict) -> dict:
    body = completion("m", None)
    body["choices"][0]["message"]["refusal"] = "I can't help with that."
    return body


def _truncated_body(headers: dict) -> dict:
    body = completion("m", "The robot reaches toward the")
    body["choices"][0]["finish_reason"] = "length"
    return body


def _eval(server: LoopbackServer, dataset: Path, out: Path, *extra: str):
    return rrbench("eval", "--task", str(dataset), "--model", "openai:test-model", "--model-args",
                   f"base_url={server.base_url},api_key_env=RRB_TEST_KEY,concurrency=1,max_retries=0",
                   "--limit", "6", "--output-dir", str(out), "--no-cache", "--no-progress", *extra,
                   env={"RRB_TEST_KEY": "sk-test-not-a-secret"}, timeout=120)


def test_invalid_answers_are_counted_by_reason_and_do_not_fail(small_dataset, tmp_path):
    plan = [Reply(text=""), Reply(body=_refusal_body), Reply(body=_truncated_body), Reply(text="no idea, really")]
    with LoopbackServer(plan=plan) as server:
        done = _eval(server, small_dataset, tmp_path / "run")
        asked = len(server.seen)
        again = _eval(server, small_dataset, tmp_path / "run")
    # A re-run does not ask again: invalid answers are answers, not errors.
    assert again.returncode == 0 and len(server.seen) == asked == 6
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    # not_a_choice is the preference parser's reason: a discrete task never gives it
    assert results["counts"]["invalid_reasons"] == {reason: int(reason != "not_a_choice") for reason in INVALID_REASONS}
    assert results["counts"]["errors"] == 0 and results["counts"]["invalid"] == 4
    assert results["metrics"]["invalid_rate"]["value"] == pytest.approx(4 / 6)
    assert "4 invalid answers (1 empty, 1 refused, 1 truncated, 1 no_number) · 0 errors" in done.stdout
    records = read_predictions(tmp_path / "run" / "predictions.jsonl")
    assert sorted(r.invalid_reason or "" for r in records) == ["", "", "empty", "no_number", "refused", "truncated"]


def test_errored_items_are_retried_by_the_same_command(small_dataset, tmp_path):
    out = tmp_path / "run"
    plan = [Reply(503, body=error_body("busy")), Reply(200), Reply(503, body=error_body("busy"))]
    with LoopbackServer(plan=plan, default=Reply(text="ANSWER: 2")) as server:
        first = _eval(server, small_dataset, out)
        assert first.returncode == 1 and "2 item(s) failed" in first.stderr
        before = {r.item_id: r for r in read_predictions(out / "predictions.jsonl")}
        asked = len(server.seen)
        second = _eval(server, small_dataset, out)
    assert second.returncode == 0, second.stderr
    assert len(server.seen) - asked == 2  # only the two errored items were asked again
    after = read_predictions(out / "predictions.jsonl")
    assert len(after) == 6 and len({r.item_id for r in after}) == 6
    assert all(r.error is None for r in after)
    kept = {r.item_id: r for r in after}
    for item_id, record in before.items():  # nothing answered before is lost or changed
        if record.error is None:
            assert kept[item_id] == record
    assert json.loads((out / "results.json").read_text())["counts"]["errors"] == 0


def silent_qwen(out: Path) -> Path:
    """A copy of the tiny random Qwen2.5-VL whose first generated token is always <|im_end|>.

    The embedding gives every token a large positive dimension 0, the final norm
    keeps only that dimension, and the LM head maps it to end-of-turn alone, so
    greedy decoding ends at once: a real model giving an empty answer.
    """
    from safetensors.torch import load_file, save_file

    shutil.copytree(tiny_model_dir("qwen2.5-vl"), out)
    [weights] = glob.glob(str(out / "*.safetensors"))
    state = load_file(weights)
    state["model.embed_tokens.weight"][:, 0] = 1e4
    state["model.norm.weight"].zero_()
    state["model.norm.weight"][0] = 1.0
    state["lm_head.weight"].zero_()
    state["lm_head.weight"][151645, 0] = 1.0  # <|im_end|>
    save_file(state, weights, metadata={"format": "pt"})
    return out


def test_tiny_qwen_empty_answers_do_not_fail_the_run(small_dataset, tmp_path):
    model = silent_qwen(tmp_path / "silent-qwen")
    out = tmp_path / "run"
    done = rrbench("eval", "--task", str(small_dataset), "--model", f"hf:{model}", "--limit", "3",
                   "--output-dir", str(out), "--no-cache", "--no-progress", env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["counts"]["invalid_reasons"]["empty"] == 3 and results["counts"]["errors"] == 0
    assert all(r.raw_text == "" and r.error is None and r.finish_reason == "stop"
               for r in read_predictions(out / "predictions.jsonl"))


def test_tiny_qwen_cut_by_max_new_tokens_is_truncated_not_an_error(small_dataset, tmp_path):
    out = tmp_path / "run"
    done = rrbench("eval", "--task", str(small_dataset), "--model", f"hf:{tiny_model_dir('qwen2.5-vl')}",
                   "--model-args", "max_new_tokens=2", "--limit", "2", "--output-dir", str(out), "--no-cache",
                   "--no-progress", env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    records = read_predictions(out / "predictions.jsonl")
    assert all(r.error is None and r.completion_tokens == 2 and r.finish_reason == "length" for r in records)
    assert all(r.valid or r.invalid_reason == "truncated" for r in records)


def test_a_cached_truncated_answer_keeps_its_reason(small_dataset, tmp_path):
    cache = tmp_path / "cache.sqlite"
    with LoopbackServer(default=Reply(body=_truncated_body)) as server:
        args = ["eval", "--task", str(small_dataset), "--model", "openai:test-model", "--model-args",
                f"base_url={server.base_url},max_retries=0", "--limit", "3", "--output-dir", str(tmp_path / "run"),
                "--cache-path", str(cache), "--no-progress"]
        assert rrbench(*args).returncode == 0
        asked = len(server.seen)
        again = rrbench(*args, "--fresh")
    assert again.returncode == 0 and len(server.seen) == asked  # served from the cache
    records = read_predictions(tmp_path / "run" / "predictions.jsonl")
    assert all(r.cached and r.invalid_reason == "truncated" and r.finish_reason == "length" for r in records)
