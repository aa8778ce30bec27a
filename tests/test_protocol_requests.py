"""What each backend actually receives under each protocol: part order and kinds, files, generation settings.

openai: a real HTTP server on 127.0.0.1 records each request body. hf: the tiny
Qwen2.5-VL's real processor renders the prompt and receives the videos.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from cli_runner import assert_one_line_error, rrbench
from loopback_server import LoopbackServer, Reply, error_body
from protocol_fixtures import preference_rows, progress_rows, write_rows
from roboreward_bench.data.loading import load_task
from roboreward_bench.evaluation import runner
from roboreward_bench.frames.sampler import FrameSampler
from roboreward_bench.models.base import ModelContext
from roboreward_bench.models.hf_inputs import prepare_batch
from roboreward_bench.models.registry import build_model
from roboreward_bench.prompts import PROMPTS, ROBOREWARD_V1
from video_fixtures import write_dataset

pytest_plugins = ["conftest_models"]
KEY_ENV = {"RRB_TEST_KEY": "sk-test-0123456789abcdef"}
HELM_ROWS = [{"file_name": "fractal20220817_data/ep0.mp4", "task": "pick up the can", "reward": 4},
             {"file_name": "berkeley_mvp_converted_externally_to_rlds/ep1.mp4", "task": "open the box", "reward": 2}]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("protocols")
    return {"discrete": write_dataset(root / "rrb" / "test", HELM_ROWS),
            "progress": write_rows(root / "progress", progress_rows(1, 1)),
            "preference": write_rows(root / "preference", preference_rows(1))}


def eval_args(protocol: str, datasets: dict[str, Path]) -> list[str]:
    if protocol == "discrete":  # the registered task, HELM's discrete protocol, on a copy of the data
        return ["--task", "roborewardbench", "--data-dir", str(datasets["discrete"].parent)]
    return ["--task", str(datasets[protocol])]


def received_shape(content: list[dict]) -> list[str]:
    """Each part as its text, or <video:FILE BYTES SHA> / <image>."""
    out = []
    for part in content:
        if part["type"] == "text":
            out.append(part["text"])
        elif part["type"] == "video_url":
            header, data = part["video_url"]["url"].split(",", 1)
            assert header == "data:video/mp4;base64"
            out.append(("<video>", base64.b64decode(data)))
        else:
            out.append("<" + part["type"] + ">")
    return out


def expected_shape(protocol: str, datasets: dict[str, Path]) -> list:
    def video(rel: str, root: Path):
        return ("<video>", (root / rel).read_bytes())

    if protocol == "discrete":
        root, row = datasets["discrete"], HELM_ROWS[0]
        return [ROBOREWARD_V1.replace("<task>", row["task"]), video(row["file_name"], root)]
    if protocol == "progress":
        root, row = datasets["progress"], progress_rows(1, 1)[0]
        return [PROMPTS.get("helm-progress-v1"), "\nTask: stack block 0\n",
                "Left camera:", video(row["videos"]["Left"], root), "Wrist camera:", video(row["videos"]["Wrist"], root)]
    root, row = datasets["preference"], preference_rows(1)[0]
    return [PROMPTS.get("helm-preference-v1"), "\nTask: put the cup 0 in the sink\n", "Policy A",
            "Policy A - Left camera:", video(row["videos_a"]["Left"], root),
            "Policy A - Wrist camera:", video(row["videos_a"]["Wrist"], root), "\n", "Policy B",
            "Policy B - Left camera:", video(row["videos_b"]["Left"], root),
            "Policy B - Wrist camera:", video(row["videos_b"]["Wrist"], root)]


@pytest.mark.parametrize("protocol, max_tokens", [("discrete", 5000), ("progress", 1024), ("preference", 1024)])
def test_openai_receives_helm_parts_and_settings(protocol, max_tokens, datasets, tmp_path):
    with LoopbackServer() as server:
        process = rrbench("eval", *eval_args(protocol, datasets), "--model", "openai:test-model", "--model-args",
                          f"base_url={server.base_url},api_key_env=RRB_TEST_KEY", "--output-dir",
                          str(tmp_path / "run"), "--no-progress", "--no-cache", "--allow-errors", env=KEY_ENV)
    assert process.returncode == 0, process.stderr
    bodies = {json.dumps(s.body["messages"][0]["content"][:2]): s.body for s in server.seen}
    first = [b for b in bodies.values() if expected_shape(protocol, datasets)[:2] ==
             received_shape(b["messages"][0]["content"])[:2]]
    assert first, [received_shape(s.body["messages"][0]["content"])[:1] for s in server.seen]
    body = first[0]
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert received_shape(body["messages"][0]["content"]) == expected_shape(protocol, datasets)
    assert (body["max_tokens"], body["temperature"]) == (max_tokens, 0.0)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["non_standard"] is False, results["deviations"]
    assert results["frames"]["mode"] == "whole_video"


def test_openai_server_refusing_video_url_gets_one_line_suggesting_images(datasets, tmp_path):
    refusal = Reply(400, body=error_body("video_url content is not supported for this model"))
    with LoopbackServer(default=refusal) as server:
        process = rrbench("eval", *eval_args("progress", datasets), "--model", "openai:test-model", "--model-args",
                          f"base_url={server.base_url},api_key_env=RRB_TEST_KEY", "--no-cache",
                          "--output-dir", str(tmp_path / "refused"), "--no-progress", env=KEY_ENV)
    assert_one_line_error(process, "refused a video_url part", "frames_as=images", "not supported")
    with LoopbackServer() as server:
        process = rrbench("eval", *eval_args("progress", datasets), "--model", "openai:test-model", "--model-args",
                          f"base_url={server.base_url},api_key_env=RRB_TEST_KEY,frames_as=images", "--no-cache",
                          "--output-dir", str(tmp_path / "images"), "--no-progress", env=KEY_ENV)
    assert process.returncode == 0, process.stderr
    kinds = [part["type"] for part in server.seen[0].body["messages"][0]["content"]]
    assert "video_url" not in kinds and kinds.count("image_url") >= 2
    # The camera label still comes right before that camera's frames.
    assert kinds[:3] == ["text", "text", "text"] and kinds[3] == "image_url"
    results = json.loads((tmp_path / "images" / "results.json").read_text())
    assert results["non_standard"] is True and results["frames"]["mode"] == "sampled"
    assert any(d.startswith("frames:") and "whole video" in d for d in results["deviations"])
    assert "NON-STANDARD" in process.stdout


def test_changing_a_protocol_setting_is_recorded_as_non_standard(datasets, tmp_path):
    with LoopbackServer() as server:
        process = rrbench("eval", *eval_args("preference", datasets), "--model", "openai:test-model",
                          "--model-args", f"base_url={server.base_url},api_key_env=RRB_TEST_KEY,max_tokens=64,"
                          f"temperature=0.7", "--no-cache", "--output-dir", str(tmp_path / "run"), "--no-progress",
                          env=KEY_ENV)
    assert process.returncode == 0, process.stderr
    assert (server.seen[0].body["max_tokens"], server.seen[0].body["temperature"]) == (64, 0.7)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["non_standard"] is True
    assert sorted(results["deviations"]) == ["max_tokens=64 (protocol 1024)", "temperature=0.7 (protocol 0.0)"]


def test_an_alias_cannot_change_the_protocol_quietly(datasets, tmp_path):
    aliases = tmp_path / "aliases.yaml"
    with LoopbackServer() as server:
        aliases.write_text(f"lab-model:\n  spec: openai:test-model\n  model_args: {{base_url: '{server.base_url}', "
                           f"api_key_env: RRB_TEST_KEY, max_tokens: 32}}\n")
        process = rrbench("eval", *eval_args("progress", datasets), "--model", "lab-model", "--no-cache",
                          "--output-dir", str(tmp_path / "run"), "--no-progress",
                          env={**KEY_ENV, "RRBENCH_ALIASES": str(aliases)})
    assert process.returncode == 0, process.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["deviations"] == ["max_tokens=32 (protocol 1024)"]


def _requests(task_path: str, data_dir: Path | None = None):
    task = load_task(task_path, data_dir)
    sampler = FrameSampler(task.spec.frames)
    work = list(runner.prepare(task.items, sampler, task.spec.prompt, task.spec.video_position,
                               protocol=task.spec.protocol))
    assert all(unit.error is None for unit in work), [unit.error for unit in work]
    assert sampler.decodes == 0  # whole-video mode: rrbench forwards files, it decodes nothing
    return task, [unit.request for unit in work]


VIDEO = "<|vision_start|><|video_pad|><|vision_end|>"


def video_frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return container.streams.video[0].frames


@pytest.mark.parametrize("protocol", ["discrete", "progress", "preference"])
def test_hf_processor_receives_helm_parts_and_whole_files(protocol, datasets, tiny_qwen25_dir):
    if protocol == "discrete":
        task, requests = _requests("roborewardbench", datasets["discrete"].parent)
    else:
        task, requests = _requests(str(datasets[protocol]))
    context = ModelContext(generation=task.spec.generation.describe())
    model = build_model(f"hf:{tiny_qwen25_dir}", {"max_new_tokens": 6}, context)[1]
    model._ensure_loaded()
    batch = prepare_batch(model._processor, requests[:1])
    prompt = batch.prompts[0]
    user = prompt.split("<|im_start|>user\n", 1)[1].split("<|im_end|>", 1)[0]
    texts = [s if isinstance(s, str) else VIDEO for s in expected_shape(protocol, datasets)]
    if protocol == "discrete":
        row = next(r for r in HELM_ROWS if r["task"] in user)
        texts = [ROBOREWARD_V1.replace("<task>", row["task"]), VIDEO]
    assert user == "".join(texts)  # text first, each video where the protocol puts it
    assert len(batch.videos) == user.count(VIDEO)
    # The processor's sample_frames picked the frames, at 2 fps (Qwen2.5-VL's processor sets no rate):
    # n = 2·duration, at least 4, at most T, rounded down to pairs; then every T/n-th frame.
    paths = [p for p in requests[0].parts if hasattr(p, "sha256")]
    for frames, used, part in zip(batch.videos, batch.frames_used[0], paths):
        total = video_frame_count(part.path)
        count = int(min(max(total / 10 * 2, 4), total) // 2 * 2)
        assert used == tuple(int(k * total / count) for k in range(count))
        assert len(frames) == count
    [response] = model.generate(requests[:1])
    assert response.error is None or response.error == "empty completion"
    assert response.frames_used == batch.frames_used[0]
    assert model.generation_settings() == {"max_tokens": 6, "temperature": 0.0}


def test_hf_eval_whole_video_records_frames_used_and_decodes_nothing(datasets, tiny_qwen25_dir, tmp_path):
    process = rrbench("eval", *eval_args("preference", datasets), "--model", f"hf:{tiny_qwen25_dir}",
                      "--model-args", "max_new_tokens=4", "--output-dir", str(tmp_path / "run"), "--no-progress",
                      "--no-cache", "--allow-errors")
    assert process.returncode == 0, process.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["frames"]["mode"] == "whole_video"
    assert results["frames"]["frames_used"]["videos"] == 4  # two rollouts × two cameras
    assert results["deviations"] == ["max_tokens=4 (protocol 1024)"]
    [record] = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert len(record["frames_used"]) == 4 and all(len(v) >= 2 for v in record["frames_used"])
