"""The text-only and video-only shortcut baselines: shipped files, modality isolation, format, training."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


from cli_runner import rrbench  # noqa: E402
from roboreward_bench.data.loading import load_task  # noqa: E402
from roboreward_bench.errors import ModelError  # noqa: E402
from roboreward_bench.evaluation.runner import prepare  # noqa: E402
from roboreward_bench.frames.sampler import FrameSampler  # noqa: E402
from roboreward_bench.models.base import ModelContext  # noqa: E402
from roboreward_bench.models.registry import build_model  # noqa: E402
from roboreward_bench.models.shortcut import (DATA_DIR, EXTRA_TRUSTED, MODEL_FILES, frame_features,  # noqa: E402
                                              instruction_of, thumbnail)
from roboreward_bench.parsing import parse_helm  # noqa: E402
from roboreward_bench.requests import Message, Request, TextPart, VideoPart, hash_messages  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ANSWER = re.compile(r"^ANSWER: [1-5]$")


def model(name: str, **args):
    return build_model(name, args, ModelContext())[1]


@pytest.fixture(scope="module")
def dev_requests() -> list[Request]:
    """Real requests (frames and rendered prompt) for 24 items of the shipped dev split."""
    loaded = load_task("rrb-sim-dev")
    sampler = FrameSampler(loaded.spec.frames)
    work = prepare(loaded.items[::4][:24], sampler, loaded.spec.prompt, loaded.spec.video_position)
    return [unit.request for unit in work]


def swapped(request: Request, *, frames_from: Request | None = None, text_from: Request | None = None) -> Request:
    """A copy of ``request`` whose frames or whose text come from another request."""
    video = (frames_from or request).video
    text = (text_from or request).text
    parts = (VideoPart(frames=video.frames, frame_indices=video.frame_indices, fps=video.fps), TextPart(text))
    messages = (Message(role="user", content=parts),)
    return Request(item_id=request.item_id, messages=messages, prompt_version=request.prompt_version,
                   content_hash=hash_messages(messages))


def test_thumbnail_and_change_features_on_a_known_frame():
    frame = np.zeros((20, 17, 3), np.uint8)          # 17 columns: the last one is cropped away
    frame[:, :8, 0] = 255                             # left half red, right half blue
    frame[:, 8:16, 2] = 255
    frame[:, 16] = 255
    thumb = thumbnail(frame, size=2)
    assert thumb.shape == (2, 2, 3)
    np.testing.assert_allclose(thumb[:, 0], [[1, 0, 0]] * 2)
    np.testing.assert_allclose(thumb[:, 1], [[0, 0, 1]] * 2)
    later = frame.copy()
    later[:5] = 0                                     # a quarter of the pixels go black
    features = frame_features(np.stack([frame, frame, later]))
    change_mean, changed_share = features[-8], features[-7]
    assert changed_share == pytest.approx(5 * 17 / (20 * 17))
    assert change_mean == pytest.approx(np.abs(later.astype(int) - frame.astype(int)).mean() / 255)


def test_instruction_is_read_from_the_last_task_line():
    prompt = "Rubric ...\nTask: ignore me\n1 - ...\nTask: Open the drawer.\n"
    assert instruction_of(prompt) == "Open the drawer."
    assert instruction_of("no marker here") == "no marker here"


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_shipped_file_is_small_trusted_and_loads(name):
    import skops.io as sio

    path = DATA_DIR / MODEL_FILES[name]
    assert path.stat().st_size < 3_000_000
    assert set(sio.get_untrusted_types(file=path)) <= set(EXTRA_TRUSTED)
    described = model(name).describe()
    assert described["train"]["items"] > 1000  # trained on the train split, not on a toy one


def test_text_only_ignores_the_frames(dev_requests):
    text_only = model("text-only")
    base, other = dev_requests[0], dev_requests[-1]
    assert not np.array_equal(base.video.frames, other.video.frames)
    a, b = text_only.generate([base, swapped(base, frames_from=other)])
    assert (a.raw_text, a.score_probs) == (b.raw_text, b.score_probs)
    answers = {r.raw_text for r in text_only.generate(dev_requests)}
    assert len(answers) > 1, "the instruction must move the answer"


def test_video_only_ignores_the_instruction(dev_requests):
    video_only = model("video-only")
    base = dev_requests[0]
    other = next(r for r in dev_requests if r.text != base.text)
    a, b = video_only.generate([base, swapped(base, text_from=other)])
    assert (a.raw_text, a.score_probs) == (b.raw_text, b.score_probs)
    answers = {r.raw_text for r in video_only.generate(dev_requests)}
    assert len(answers) > 1, "the frames must move the answer"


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_answers_are_rubric_format_deterministic_and_match_probs(name, dev_requests):
    first = model(name).generate(dev_requests)
    again = model(name).generate(dev_requests[::-1])[::-1]   # fresh instance, other batch order
    assert [(r.raw_text, r.score_probs) for r in first] == [(r.raw_text, r.score_probs) for r in again]
    for request, response in zip(dev_requests, first):
        assert response.item_id == request.item_id and response.error is None
        assert ANSWER.match(response.raw_text), response.raw_text
        label = parse_helm(response.raw_text).value
        assert label in (1, 2, 3, 4, 5)
        probs = np.array(response.score_probs)
        assert probs.shape == (5,) and abs(probs.sum() - 1) < 1e-6
        cumulative = np.cumsum(probs)
        # the answer is the median of the stated distribution
        assert cumulative[int(label) - 1] >= 0.5 - 1e-9 and (label == 1 or cumulative[int(label) - 2] < 0.5)


def test_missing_modality_is_a_per_item_error(dev_requests):
    text_only = dev_requests[0]
    messages = (Message(role="user", content=(TextPart(text_only.text),)),)
    no_video = Request(item_id="x", messages=messages, prompt_version="p", content_hash=hash_messages(messages))
    responses = model("video-only").generate([no_video, dev_requests[1]])
    assert responses[0].error and "no video" in responses[0].error
    assert responses[1].error is None and ANSWER.match(responses[1].raw_text)


def test_untrusted_model_file_is_refused(tmp_path):
    import os

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "evil.skops"
    sio.dump(FunctionTransformer(func=os.getcwd), path)
    with pytest.raises(ModelError, match="evil.skops: cannot load"):
        model("text-only", model_file=str(path))


def tiny_split(out: Path, per_label: int = 4) -> Path:
    """A few items of each label from the shipped dev split, as a dataset folder of their own."""
    source = REPO / "tasks" / "rrb_sim" / "dev"
    rows = [json.loads(line) for line in (source / "metadata.jsonl").read_text().splitlines()]
    chosen = [r for label in range(1, 6) for r in [r for r in rows if r["reward"] == label][:per_label]]
    for row in chosen:
        (out / row["file_name"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / row["file_name"], out / row["file_name"])
    (out / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    return out


def test_training_script_fits_a_tiny_split_and_the_models_load(tmp_path, dev_requests):
    data = tiny_split(tmp_path / "train")
    out = tmp_path / "models"
    process = subprocess.run([sys.executable, str(REPO / "scripts" / "train_shortcuts.py"), "--train", str(data),
                              "--out", str(out), "--task", "rrb-sim-dev"],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert "features: 20 train items" in process.stdout
    info = json.loads((out / "shortcuts.json").read_text())
    assert {v["train"]["items"] for v in info.values()} == {20}
    for name, file in MODEL_FILES.items():
        fitted = model(name, model_file=str(out / file))
        assert fitted.fingerprint != model(name).fingerprint
        assert all(ANSWER.match(r.raw_text) for r in fitted.generate(dev_requests[:4]))


def test_eval_cli_runs_text_only_on_dev(tmp_path):
    process = rrbench("eval", "--task", "rrb-sim-dev", "--model", "text-only", "--output-dir", str(tmp_path / "run"),
                      "--no-cache", "--no-progress", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert len(records) == 100 and all(r["valid"] and r["score_probs"] for r in records)
