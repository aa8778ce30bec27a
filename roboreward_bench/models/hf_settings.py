"""Settings of the ``hf`` backend and how ``auto`` values resolve on this machine.

- ``device=auto``: CUDA, else Apple MPS, else CPU. With ``device_map`` set
  (``auto`` shards over the visible GPUs) accelerate places the weights.
- ``dtype=auto``: bfloat16 on CUDA (float16 on GPUs without bfloat16),
  float32 on CPU and MPS.
- ``attn_implementation=auto``: ``flash_attention_2`` on CUDA in 16-bit when
  the flash-attn package is installed, else transformers' own choice (``sdpa``
  where the model supports it). The implementation actually used is read back
  from the loaded model.
- ``batch_size=auto``: start at ``max_batch_size`` and back off on
  out-of-memory (:mod:`roboreward_bench.models.hf_batching`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from roboreward_bench.errors import ModelError
from roboreward_bench.models.model_args import check_choice, check_positive

DTYPES = ("auto", "float32", "bfloat16", "float16")
ATTENTION = ("auto", "sdpa", "eager", "flash_attention_2", "flash_attention_3", "flex_attention")


@dataclass(frozen=True)
class HFSettings:
    """``--model-args`` of the hf backend."""

    revision: str | None = None
    dtype: str = "auto"
    device: str = "auto"
    device_map: str | None = None
    attn_implementation: str = "auto"
    batch_size: int | str = 1
    max_batch_size: int = 32
    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    score_probs: bool = False
    frames_as: str = "video"
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        check_choice(self.dtype, DTYPES, "hf: model arg 'dtype'")
        check_choice(self.attn_implementation, ATTENTION, "hf: model arg 'attn_implementation'")
        check_choice(self.frames_as, ("video", "images"), "hf: model arg 'frames_as'")
        if isinstance(self.batch_size, str):
            check_choice(self.batch_size, ("auto",), "hf: model arg 'batch_size' (a positive integer or)")
        else:
            check_positive(self.batch_size, "hf: model arg 'batch_size'")
        check_positive(self.max_batch_size, "hf: model arg 'max_batch_size'")
        check_positive(self.max_new_tokens, "hf: model arg 'max_new_tokens'")
        check_positive(self.temperature, "hf: model arg 'temperature'", allow_zero=True)

    @property
    def auto_batch(self) -> bool:
        return self.batch_size == "auto"

    def generation(self) -> dict[str, Any]:
        """The settings that change what the model answers (part of the fingerprint)."""
        keys = ("max_new_tokens", "temperature", "top_p", "repetition_penalty", "score_probs", "frames_as")
        out = {key: getattr(self, key) for key in keys}
        if self.temperature == 0:
            out.pop("top_p")
        return out


def pick_device(device: str) -> str:
    """``auto`` → cuda, mps or cpu; anything else as given."""
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(settings: HFSettings) -> str:
    """The dtype name to load in: ``auto`` is bfloat16 (or float16) on CUDA and float32 elsewhere."""
    if settings.dtype != "auto":
        return settings.dtype
    if not _on_cuda(settings):
        return "float32"
    import torch

    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def resolve_attention(settings: HFSettings, dtype: str) -> str | None:
    """The attention kernel to ask for; None lets transformers choose (sdpa where supported)."""
    wanted = settings.attn_implementation
    if wanted.startswith("flash_attention") and not flash_attn_installed():
        raise ModelError(f"hf: attn_implementation={wanted} needs the flash-attn package (pip install flash-attn "
                         f"--no-build-isolation, CUDA only); or use attn_implementation=sdpa")
    if wanted != "auto":
        return wanted
    if _on_cuda(settings) and dtype in ("bfloat16", "float16") and flash_attn_installed():
        return "flash_attention_2"
    return None


def flash_attn_installed() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def _on_cuda(settings: HFSettings) -> bool:
    if settings.device_map:
        import torch

        return torch.cuda.is_available() and settings.device_map != "cpu"
    return pick_device(settings.device).startswith("cuda")
