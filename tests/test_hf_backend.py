"""The hf backend on tiny random Qwen2.5-VL / Qwen3-VL checkpoints built offline, with real MP4 frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext
from roboreward_bench.models.hf_checkpoint import folder_digest
from roboreward_bench.models.hf_inputs import chat_prompt, prepare_batch, processor_inputs
from roboreward_bench.models.hf_scoring import FORCED_SUFFIX, answer_step
from roboreward_bench.models.registry import build_model
from roboreward_bench.parsing import parse_helm
from roboreward_bench.requests import Message, Request, VideoPart, hash_messages
from roboreward_bench.results.predictions import read_predictions
from tiny_models import make_request

pytest_plugins = ["conftest_models"]
SHORT = {"max_new_tokens": 10}


def hf_model(folder: Path, **args):
    return build_model(f"hf:{folder}", {**SHORT, **args}, ModelContext())[1]


@pytest.fixture(scope="module")
def qwen25_model(tiny_qwen25_dir):
    """One loaded tiny Qwen2.5-VL with score_probs, shared by the tests that only generate."""
    return hf_model(tiny_qwen25_dir, score_probs=True)


@pytest.mark.parametrize("kind", ["qwen2.5", "qwen3"])
def test_batch_sizes_agree_and_probs_sum_to_one(kind, request, sample_requests):
    if kind == "qwen2.5":
        model = request.getfixturevalue("qwen25_model")
    else:
        model = hf_model(request.getfixturevalue("tiny_qwen3_dir"), score_probs=True)
    used_before = model.describe()["usage"]["completion_tokens"]
    model.batch_size = 1
    one_by_one = model.generate(sample_requests)
    model.batch_size = 4
    batched = model.generate(sample_requests)
    model.batch_size = 1
    assert [r.item_id for r in batched] == [r.item_id for r in sample_requests]
    assert all(r.error is None and r.raw_text.strip() for r in one_by_one + batched)
    assert len({r.raw_text for r in one_by_one}) > 1  # items differ, so a row mix-up would show
    assert [r.raw_text for r in batched] == [r.raw_text for r in one_by_one]
    assert [parse_helm(r.raw_text).value for r in batched] == [parse_helm(r.raw_text).value for r in one_by_one]
    for single, multi in zip(one_by_one, batched):
        assert len(multi.score_probs) == 5
        assert sum(multi.score_probs) == pytest.approx(1.0, abs=1e-9)
        assert all(0 < p < 1 for p in multi.score_probs)
        np.testing.assert_allclose(multi.score_probs, single.score_probs, atol=2e-3)
    facts = model.describe()
    assert facts["dtype"] == "float32" and facts["device"] == "cpu" and facts["loaded"] is True
    assert facts["usage"]["completion_tokens"] - used_before == sum(r.usage.completion_tokens
                                                                    for r in one_by_one + batched)
    assert facts["usage"]["prompt_tokens"] > 0 and facts["weights_digest"] == model.checkpoint.digest


def test_answer_position_follows_the_parser(tiny_qwen25_dir):
    from transformers import AutoProcessor

    tokenizer = AutoProcessor.from_pretrained(tiny_qwen25_dir).tokenizer
    digits = [tokenizer.convert_tokens_to_ids(str(d)) for d in range(1, 6)]

    def decode(ids):
        return tokenizer.decode(list(ids), skip_special_tokens=True)

    def step_text(text):
        ids = tokenizer.encode(text, add_special_tokens=False)
        step = answer_step(ids, digits, decode)
        return None if step is None else (decode(ids[:step]), decode([ids[step]]))

    assert step_text("The gripper opened 2 times. ANSWER: 4") == ("The gripper opened 2 times. ANSWER: ", "4")
    assert step_text("answer: 3, then ANSWER: 5") == ("answer: ", "3")
    assert step_text(" 2 because the cup moved") == (" ", "2")
    assert step_text("It moved 3 cm, no answer") is None
    assert step_text("ANSWER: 7") is None  # only 1–5 have probabilities


def test_generated_answer_probs_match_teacher_forcing(qwen25_model, sample_requests):
    """Reading the logits at a generated answer digit equals forcing 'ANSWER: ' at that point."""
    import torch

    model = qwen25_model
    model.generate(sample_requests[:1])  # loads the weights if no test did yet
    scorer, processor, net = model._scorer, model._processor, model._model
    requests = sample_requests[:2]
    prompts = prepare_batch(processor, requests).prompts
    answer = processor.tokenizer.encode(FORCED_SUFFIX + "3", add_special_tokens=False)
    full = prepare_batch(processor, requests)
    full.prompts = [p + FORCED_SUFFIX + "3" for p in prompts]
    inputs = processor_inputs(processor, full.prompts, full)
    with torch.inference_mode():
        logits = net(**inputs).logits
    # logits[:, -k-1] predicts completion token k (left padding: the ends are aligned)
    step_logits = [logits[:, -len(answer) - 1 + k, :] for k in range(len(answer))]
    read = scorer.score(requests, prompts, [answer, answer], ["", ""], step_logits, "video", "cpu")
    forced = scorer.score(requests, prompts, [[], []], ["", ""], [], "video", "cpu")
    np.testing.assert_allclose(read, forced, atol=1e-4)
    assert read[0] != read[1]


def test_prompt_keeps_the_request_order(tiny_qwen3_dir, sample_videos):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_qwen3_dir)
    before = chat_prompt(processor, make_request("a", sample_videos[0], "open it", video_first=True))
    after = chat_prompt(processor, make_request("a", sample_videos[0], "open it", video_first=False))
    assert before.index("<|video_pad|>") < before.index("Task: open it")
    assert after.index("<|video_pad|>") > after.index("Task: open it")
    assert before.endswith("<|im_start|>assistant\n")


def test_qwen3_video_gets_source_timestamps(tiny_qwen3_dir, sample_requests):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_qwen3_dir)
    batch = prepare_batch(processor, sample_requests[:1])
    text = processor.tokenizer.decode(batch.inputs["input_ids"][0])
    video = sample_requests[0].video
    first_pair = (video.frame_indices[0] + video.frame_indices[1]) / 2 / video.fps
    last_pair = (video.frame_indices[-2] + video.frame_indices[-1]) / 2 / video.fps
    assert f"<{first_pair:.1f} seconds>" in text and f"<{last_pair:.1f} seconds>" in text


def test_bad_item_is_an_error_response_and_the_rest_run(qwen25_model, sample_requests):
    broken_part = VideoPart(frames=np.zeros((4, 32, 32, 3), dtype=np.float32), frame_indices=(0, 1, 2, 3), fps=10.0)
    messages = (Message("user", (broken_part,)),)
    broken = Request("broken", messages, "v", hash_messages(messages))
    qwen25_model.batch_size = 4
    responses = qwen25_model.generate([sample_requests[0], broken, sample_requests[1]])
    qwen25_model.batch_size = 1
    assert [r.item_id for r in responses] == ["item-0", "broken", "item-1"]
    assert responses[1].error == "bad request: frames must be uint8, got float32"
    assert responses[0].error is None and responses[2].error is None


def test_frames_as_images_and_bfloat16(tiny_qwen25_dir, qwen25_model, sample_requests):
    model = hf_model(tiny_qwen25_dir, frames_as="images", dtype="bfloat16", max_new_tokens=4)
    [response] = model.generate(sample_requests[:1])
    assert response.error is None and response.raw_text.strip()
    assert model.describe()["dtype"] == "bfloat16"
    [by_video] = qwen25_model.generate(sample_requests[:1])
    assert response.usage.prompt_tokens > by_video.usage.prompt_tokens  # 8 images vs 4 temporal patches


def test_fingerprint_needs_no_weights_and_tracks_settings(tiny_qwen25_dir):
    model = hf_model(tiny_qwen25_dir)
    assert model.fingerprint == hf_model(tiny_qwen25_dir).fingerprint
    assert model.describe()["loaded"] is False
    assert model.fingerprint == hf_model(tiny_qwen25_dir, batch_size=8).fingerprint
    for change in ({"max_new_tokens": 11}, {"score_probs": True}, {"dtype": "bfloat16"}, {"temperature": 0.7}):
        assert hf_model(tiny_qwen25_dir, **change).fingerprint != model.fingerprint, change


def test_folder_digest_sees_weights_not_location(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    weights = bytearray(np.random.default_rng(0).integers(0, 255, 3 << 20, dtype=np.uint8).tobytes())
    (folder / "model.safetensors").write_bytes(weights)
    digest = folder_digest(folder)
    moved = shutil.copytree(folder, tmp_path / "moved")
    assert folder_digest(moved) == digest
    weights[1000] ^= 0xFF
    (moved / "model.safetensors").write_bytes(weights)
    assert folder_digest(moved) != digest
    (folder / "README.md").write_text("notes")
    assert folder_digest(folder) == digest


def test_unknown_model_arg_is_a_clear_error(tiny_qwen25_dir):
    with pytest.raises(ModelError, match="unknown model arg 'batchsize'. Did you mean 'batch_size'"):
        build_model(f"hf:{tiny_qwen25_dir}", {"batchsize": 2}, ModelContext())
    with pytest.raises(ModelError, match="no such folder"):
        build_model("hf:./no/such/dir", {}, ModelContext())


def test_hub_id_without_hub_says_how_to_use_a_folder(small_dataset, tmp_path):
    (tmp_path / "hub").mkdir()
    env = {"HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    for model in ("qwen2.5-vl-7b", "hf:Qwen/Qwen2.5-VL-7B-Instruct"):
        process = rrbench("eval", "--task", str(small_dataset), "--model", model, "--output-dir",
                          str(tmp_path / "out"), "--no-progress", env=env)
        assert_one_line_error(process, "Qwen/Qwen2.5-VL-7B-Instruct", "--model hf:/path/to/dir")


def test_rrbench_eval_end_to_end(tiny_qwen25_dir, small_dataset, tmp_path):
    def run(out: str, args: str, *extra: str):
        process = rrbench("eval", "--task", str(small_dataset), "--model", f"hf:{tiny_qwen25_dir}",
                          "--model-args", args, "--limit", "4", "--output-dir", str(tmp_path / out),
                          "--cache-path", str(tmp_path / "cache.sqlite"), "--no-progress", *extra)
        assert process.returncode == 0, process.stderr
        results = json.loads((tmp_path / out / "results.json").read_text())
        return results, {r.item_id: r for r in read_predictions(tmp_path / out / "predictions.jsonl")}

    results, first = run("b4", "batch_size=4,max_new_tokens=5,score_probs=true")
    assert len(first) == 4 and all(r.error is None for r in first.values())
    assert all(len(r.score_probs) == 5 and sum(r.score_probs) == pytest.approx(1.0) for r in first.values())
    assert results["model"]["details"]["loaded"] is True and results["model"]["details"]["device"] == "cpu"
    _, single = run("b1", "batch_size=1,max_new_tokens=5,score_probs=true", "--no-cache")
    assert {k: (r.raw_text, r.parsed) for k, r in single.items()} == {k: (r.raw_text, r.parsed)
                                                                       for k, r in first.items()}
    results, rerun = run("b4", "batch_size=4,max_new_tokens=5,score_probs=true", "--fresh")
    assert all(r.cached for r in rerun.values())
    assert {k: r.raw_text for k, r in rerun.items()} == {k: r.raw_text for k, r in first.items()}
    assert results["model"]["details"]["loaded"] is False  # a fully cached re-run never loads the weights


def test_folder_that_is_not_a_vlm_fails_once_with_one_line(tmp_path, sample_requests):
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 8}))
    model = hf_model(folder)
    with pytest.raises(ModelError) as first:
        model.generate(sample_requests[:1])
    assert str(first.value).startswith(f"hf:{folder}: cannot load") and "\n" not in str(first.value)
    with pytest.raises(ModelError) as second:
        model.generate(sample_requests[:1])
    assert second.value is first.value


def test_rrbench_eval_with_qwen3(tiny_qwen3_dir, small_dataset, tmp_path):
    process = rrbench("eval", "--task", str(small_dataset), "--model", f"hf:{tiny_qwen3_dir}", "--model-args",
                      "batch_size=4,max_new_tokens=5,score_probs=true", "--limit", "4", "--output-dir",
                      str(tmp_path / "run"), "--no-cache", "--no-progress")
    assert process.returncode == 0, process.stderr
    records = read_predictions(tmp_path / "run" / "predictions.jsonl")
    assert len(records) == 4 and all(r.error is None and r.raw_text for r in records)
    assert all(sum(r.score_probs) == pytest.approx(1.0) for r in records)
    details = json.loads((tmp_path / "run" / "results.json").read_text())["model"]["details"]
    assert details["model_class"] == "Qwen3VLForConditionalGeneration"
