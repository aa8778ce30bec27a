"""Requests → processor inputs for the hf backend.

Each request becomes chat messages in the transformers format, rendered with
the processor's own chat template. A video part becomes one ``{"type":
"video"}`` placeholder whose frames go to the processor as a pre-sampled video
(``do_sample_frames=False``) with metadata giving the source frame indices and
fps, so models that print timestamps (Qwen3-VL) see the true times. With
``frames_as="images"`` each frame is an image part instead, for models without
video support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from roboreward_bench.requests import Request, TextPart, VideoFilePart, VideoPart


@dataclass
class PreparedBatch:
    """Rendered prompts and media for a batch, plus the processor's tensors."""

    prompts: list[str]
    videos: list[np.ndarray] = field(default_factory=list)
    video_metadata: list[dict[str, Any]] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    inputs: Any = None
    frames_used: list[tuple[tuple[int, ...], ...]] = field(default_factory=list)  # per request, per video


def chat_messages(request: Request, frames_as: str = "video") -> list[dict[str, Any]]:
    """The request as transformers chat messages (content parts in request order)."""
    messages = []
    for message in request.messages:
        content: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            elif frames_as == "images" and isinstance(part, VideoPart):
                content.extend({"type": "image"} for _ in range(part.frames.shape[0]))
            else:
                content.append({"type": "video"})
        messages.append({"role": message.role, "content": content})
    return messages


def video_metadata(part: VideoPart) -> dict[str, Any]:
    """Metadata the video processor needs for frames that were sampled upstream."""
    count = part.frames.shape[0]
    indices = list(part.frame_indices) if len(part.frame_indices) == count else list(range(count))
    return {"total_num_frames": max(indices) + 1, "fps": float(part.fps) if part.fps else None,
            "frames_indices": indices, "height": int(part.frames.shape[1]), "width": int(part.frames.shape[2])}


def chat_prompt(processor, request: Request, frames_as: str = "video") -> str:
    """The prompt text exactly as the model sees it, up to the assistant turn."""
    return processor.apply_chat_template(chat_messages(request, frames_as), tokenize=False,
                                         add_generation_prompt=True)


# Qwen's reference video pipeline (qwen-vl-utils) samples 2 frames per second; used only when a
# processor configures no rate or count of its own (transformers' Qwen2/2.5-VL video processors).
REFERENCE_FPS = 2.0


def whole_video_rule(processor) -> dict[str, Any]:
    """How frames are chosen from a whole file: the video processor's ``sample_frames`` with its own
    settings, plus ``fps=2`` where it configures neither a rate nor a count."""
    video = processor.video_processor
    own = {key: getattr(video, key, None) for key in ("fps", "num_frames", "min_frames", "max_frames")}
    extra = {} if own["fps"] or own["num_frames"] else {"fps": REFERENCE_FPS}
    return {"sampler": f"{type(video).__name__}.sample_frames", **{k: v for k, v in own.items() if v}, **extra,
            "added_by_rrbench": extra}


def processor_video(processor, part: VideoFilePart) -> VideoPart:
    """The frames the model's video processor picks from a whole file (its own sampling rule)."""
    from functools import partial

    from transformers.video_utils import load_video

    sampler = partial(processor.video_processor.sample_frames, **whole_video_rule(processor)["added_by_rrbench"])
    frames, metadata = load_video(str(part.path), backend="pyav", sample_indices_fn=sampler)
    indices = [int(i) for i in metadata.frames_indices]
    return VideoPart(frames=np.ascontiguousarray(frames), frame_indices=tuple(indices), fps=float(metadata.fps))


def collect_media(requests: Sequence[Request], frames_as: str, processor=None) -> PreparedBatch:
    """Prompts are filled in by :func:`prepare_batch`; this gathers videos/images in order."""
    batch = PreparedBatch(prompts=[])
    for request in requests:
        used: list[tuple[int, ...]] = []
        for message in request.messages:
            for part in message.content:
                if isinstance(part, VideoFilePart):
                    part = processor_video(processor, part)
                if not isinstance(part, VideoPart):
                    continue
                used.append(tuple(part.frame_indices))
                if frames_as == "images":
                    batch.images.extend(np.ascontiguousarray(frame) for frame in part.frames)
                else:
                    batch.videos.append(np.ascontiguousarray(part.frames))
                    batch.video_metadata.append(video_metadata(part))
        batch.frames_used.append(tuple(used))
    return batch


def processor_inputs(processor, prompts: list[str], batch: PreparedBatch):
    """Run the processor on ``prompts`` with the batch's media; returns a padded BatchFeature."""
    kwargs: dict[str, Any] = {"text": prompts, "padding": True, "return_tensors": "pt"}
    if batch.videos:
        kwargs["videos"] = batch.videos
        kwargs["videos_kwargs"] = {"do_sample_frames": False, "video_metadata": batch.video_metadata}
    if batch.images:
        kwargs["images"] = batch.images
    return processor(**kwargs)


def prepare_batch(processor, requests: Sequence[Request], frames_as: str = "video") -> PreparedBatch:
    """Render and process a batch of requests (left padding is set on the tokenizer)."""
    batch = collect_media(requests, frames_as, processor)
    batch.prompts = [chat_prompt(processor, request, frames_as) for request in requests]
    batch.inputs = processor_inputs(processor, batch.prompts, batch)
    return batch
