"""Shortcut baselines: ``text-only`` and ``video-only``, trained on rrb-sim's train split.

Each sees one modality of the request and nothing else: ``text-only`` reads
the instruction out of the rendered prompt and ignores the frames;
``video-only`` looks at the first and last sampled frames and ignores the
text. Their scores measure how far a benchmark can be gamed without vision or
without language. ``scripts/train_shortcuts.py`` fits them; the fitted
scikit-learn pipelines ship in ``shortcut_data/`` as skops files, which load
without unpickling arbitrary objects.

The answer is the median of the predicted label distribution (the label that
minimises the expected absolute error, the headline metric's loss), written in
the rubric format ``ANSWER: k`` so the task's parser scores it like any model;
the distribution itself is returned as ``score_probs``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext, Response, fingerprint_of
from roboreward_bench.rubric import LABELS
from roboreward_bench.models.model_args import settings_from_args
from roboreward_bench.models.registry import register_model
from roboreward_bench.requests import Request

DATA_DIR = Path(__file__).with_name("shortcut_data")
MODEL_FILES = {"text-only": "text_only.skops", "video-only": "video_only.skops"}
INFO_FILE = "shortcuts.json"
# Bump when a feature function changes: files fitted on other features are refused.
FEATURE_VERSION = 1
THUMB_SIZE = 8          # thumbnails are THUMB_SIZE x THUMB_SIZE x RGB block means
CHANGE_THRESHOLD = 0.1  # a pixel "changed" when a channel moved by more than this (0–1 scale)
# Types loaded beyond skops' trusted defaults: a fitted tree of HistGradientBoosting, a
# plain data holder. Anything else in a model file is refused, never instantiated.
EXTRA_TRUSTED = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
_TASK_MARKER = re.compile(r"^\s*Task:\s*", re.MULTILINE)


def instruction_of(prompt_text: str) -> str:
    """The instruction in a rendered rubric prompt: what follows its last ``Task:`` line.

    A prompt without that marker is taken whole, so text-only still sees only text.
    """
    marks = list(_TASK_MARKER.finditer(prompt_text))
    return (prompt_text[marks[-1].end():] if marks else prompt_text).strip()


def thumbnail(frame: np.ndarray, size: int = THUMB_SIZE) -> np.ndarray:
    """Block means of an (H, W, 3) uint8 frame on a ``size`` x ``size`` grid, scaled to 0–1
    (rows and columns past the last whole block are dropped)."""
    height, width = frame.shape[0] - frame.shape[0] % size, frame.shape[1] - frame.shape[1] % size
    if height == 0 or width == 0:
        raise ModelError(f"frame {frame.shape[:2]} is smaller than the {size}x{size} thumbnail grid")
    # Sum rows of blocks first, then columns: two contiguous reductions, ~10x faster than one 5-D one.
    rows = frame[:height, :width].reshape(size, height // size, width * 3).sum(axis=1, dtype=np.uint32)
    blocks = rows.reshape(size, size, width // size, 3).sum(axis=2)
    return blocks.astype(np.float32) / np.float32(255 * (height // size) * (width // size))


def frame_features(frames: np.ndarray) -> np.ndarray:
    """Features of the first and last frames of a (T, H, W, 3) stack: thumbnails, their
    difference, whole-frame change statistics (mean absolute change, share of pixels whose
    largest channel change exceeds CHANGE_THRESHOLD) and the mean colour of each frame."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ModelError(f"video-only needs frames shaped (T, H, W, 3), got {frames.shape}")
    first, last = frames[0], frames[-1]
    start, end = thumbnail(first), thumbnail(last)
    change = np.abs(last.astype(np.int16) - first.astype(np.int16))
    largest = np.maximum(np.maximum(change[..., 0], change[..., 1]), change[..., 2])
    stats = [change.mean() / 255.0, (largest > CHANGE_THRESHOLD * 255).mean(),
             *start.mean(axis=(0, 1)), *end.mean(axis=(0, 1))]
    return np.concatenate([start.ravel(), end.ravel(), (end - start).ravel(), np.asarray(stats, np.float32)])


def text_input(request: Request) -> str:
    """What text-only sees: the instruction."""
    text = request.text
    if not text.strip():
        raise ModelError("text-only: the request has no text")
    return instruction_of(text)


def video_input(request: Request) -> np.ndarray:
    """What video-only sees: features of the first and last sampled frames."""
    video = request.video
    if video is None:
        raise ModelError("video-only: the request has no video")
    return frame_features(np.asarray(video.frames))


def median_label(probs: np.ndarray) -> int:
    """The smallest label whose cumulative probability reaches one half."""
    return int(LABELS[int(np.searchsorted(np.cumsum(probs), 0.5 - 1e-9))])


def label_probs(estimator: Any, predicted: np.ndarray) -> np.ndarray:
    """``predict_proba`` output laid out on labels 1–5 (classes unseen in training get 0)."""
    out = np.zeros((len(predicted), len(LABELS)))
    for column, label in enumerate(estimator.classes_):
        out[:, int(label) - 1] = predicted[:, column]
    return out


def load_estimator(path: Path) -> Any:
    """Load a skops file, refusing any type outside skops' trusted defaults and EXTRA_TRUSTED."""
    import skops.io as sio

    if not path.is_file():
        raise ModelError(f"{path}: shortcut model file not found (run scripts/train_shortcuts.py)")
    try:
        refused = sorted(set(sio.get_untrusted_types(file=path)) - set(EXTRA_TRUSTED))
        if refused:
            raise ModelError(f"{path}: cannot load shortcut model: untrusted types {', '.join(refused)}")
        return sio.load(path, trusted=list(EXTRA_TRUSTED))
    except ModelError:
        raise
    except Exception as exc:  # a damaged zip or a skops format error
        raise ModelError(f"{path}: cannot load shortcut model ({type(exc).__name__}: {exc})".splitlines()[0]) from None


def read_info(model_file: Path) -> dict[str, Any]:
    """The training record next to a model file (empty if there is none)."""
    info_path = model_file.with_name(INFO_FILE)
    if not info_path.is_file():
        return {}
    try:
        return json.loads(info_path.read_text(encoding="utf-8")).get(model_file.name, {})
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{info_path}: unreadable ({exc})") from None


@dataclass(frozen=True)
class ShortcutSettings:
    """``--model-args`` of the shortcut baselines."""

    model_file: str | None = None   # another fitted skops file (default: the shipped one)


class ShortcutModel:
    """A fitted single-modality classifier answering in the rubric format."""

    batch_size = 256
    accepts_video_files = False  # it reads decoded frames: whole-video tasks get sampled ones (flagged)

    def __init__(self, name: str, features: Callable[[Request], Any], model_file: Path) -> None:
        self.name = name
        self._features = features
        self._file = model_file
        self._sha256 = hashlib.sha256(model_file.read_bytes()).hexdigest() if model_file.is_file() else ""
        self._info = read_info(model_file)
        version = self._info.get("feature_version", FEATURE_VERSION)
        if version != FEATURE_VERSION:
            raise ModelError(f"{model_file}: fitted on features v{version}, this rrbench computes "
                             f"v{FEATURE_VERSION}; retrain with scripts/train_shortcuts.py")
        self._estimator = load_estimator(model_file)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of({"baseline": self.name, "model_sha256": self._sha256,
                               "feature_version": FEATURE_VERSION, "decision": "median"})

    def describe(self) -> Mapping[str, Any]:
        return {"kind": "shortcut-baseline", "model_file": self._file.name, "model_sha256": self._sha256,
                "feature_version": FEATURE_VERSION, "decision": "median of predicted label distribution",
                **{k: self._info[k] for k in ("modality", "estimator", "train") if k in self._info}}

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        inputs, ready, errors = [], [], {}
        for index, request in enumerate(requests):
            try:
                inputs.append(self._features(request))
                ready.append(index)
            except ModelError as exc:
                errors[index] = str(exc)
        probs = label_probs(self._estimator, self._estimator.predict_proba(_stack(inputs))) if inputs else []
        by_index = dict(zip(ready, probs))
        out = []
        for index, request in enumerate(requests):
            if index in errors:
                out.append(Response(item_id=request.item_id, raw_text="", error=errors[index]))
                continue
            p = by_index[index]
            out.append(Response(item_id=request.item_id, raw_text=f"ANSWER: {median_label(p)}",
                                score_probs=tuple(float(x) for x in p)))
        return out


def _stack(inputs: list[Any]) -> Any:
    return inputs if isinstance(inputs[0], str) else np.stack(inputs)


def _build(name: str, features: Callable[[Request], Any], argument: str | None,
           model_args: Mapping[str, Any]) -> ShortcutModel:
    if argument is not None:
        raise ModelError(f"{name} takes no ':argument' (got {argument!r}); pass model_file=... in --model-args")
    settings = settings_from_args(ShortcutSettings, model_args, name)
    path = Path(settings.model_file) if settings.model_file else DATA_DIR / MODEL_FILES[name]
    return ShortcutModel(name, features, path)


@register_model("text-only", "shortcut baseline: instruction text → label, never looks at the video")
def make_text_only(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> ShortcutModel:
    """Instruction TF-IDF → label classifier trained on rrb-sim train; ignores the frames."""
    return _build("text-only", text_input, argument, model_args)


@register_model("video-only", "shortcut baseline: first/last frame features → label, never reads the instruction")
def make_video_only(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> ShortcutModel:
    """First/last frame thumbnails → label classifier trained on rrb-sim train; ignores the text."""
    return _build("video-only", video_input, argument, model_args)
