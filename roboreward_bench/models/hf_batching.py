"""``batch_size=auto``: find the largest batch that fits in memory, backing off on out-of-memory.

:class:`BatchSizer` starts at ``max_batch_size``. When a batch runs out of
memory it records the failure and tries a smaller one: halfway between the
largest size known to fit and the size that failed (so, halving until one
fits). After a batch fits it probes upwards again, halfway between that size
and the smallest known failure, so it converges on the largest size that
fits in a few batches. A later failure at a size that fitted before (longer
inputs) forgets that fit and backs off again. A batch of one that runs out of
memory is not retried: that item gets an error.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

_OOM_TEXT = ("out of memory", "can't allocate memory", "not enough memory", "cannot allocate memory",
             "cublas_status_alloc_failed", "failed to allocate")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says an allocation failed: torch's CUDA/MPS/CPU allocators or Python's own."""
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        if isinstance(exc, getattr(torch, "OutOfMemoryError", ())):
            return True
    except ImportError:
        pass
    return isinstance(exc, RuntimeError) and any(text in str(exc).lower() for text in _OOM_TEXT)


def free_memory() -> None:
    """Drop the failed batch's tensors and hand cached accelerator memory back."""
    gc.collect()
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        mps.empty_cache()


@dataclass
class BatchSizer:
    """The size of the next batch; fixed, or searched for with ``auto``."""

    start: int
    auto: bool
    size: int = 0
    fits: int = 0  # the largest size known to fit (0: none yet)
    fails: int | None = None  # the smallest size known to run out of memory
    backoffs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.size = self.start

    def succeeded(self, n: int) -> None:
        """A batch of ``n`` fitted; probe upwards if a larger size might fit too."""
        if not self.auto or n < self.size:  # a short last batch says nothing about ``size``
            return
        self.fits = max(self.fits, n)
        if self.fails is not None and self.fails - self.fits > 1:
            self.size = (self.fits + self.fails) // 2

    def out_of_memory(self, n: int, exc: BaseException) -> bool:
        """Record that ``n`` did not fit; True if a smaller batch should be tried."""
        if not self.auto or n <= 1:
            return False
        if n <= self.fits:  # fitted before, not now: inputs grew, forget that fit
            self.fits = 0
        self.fails = n if self.fails is None else min(self.fails, n)
        self.size = max(1, (self.fits + n) // 2 if self.fits else n // 2)
        message = " ".join(str(exc).split())[:160]
        self.backoffs.append({"from": n, "to": self.size, "error": f"{type(exc).__name__}: {message}"})
        return True

    def describe(self) -> dict[str, Any]:
        """Facts for results.json."""
        if not self.auto:
            return {"batch_size": self.start}
        return {"batch_size": "auto", "max_batch_size": self.start, "largest_batch_that_fit": self.fits or None,
                "next_batch_size": self.size, "smallest_batch_out_of_memory": self.fails,
                "out_of_memory_backoffs": self.backoffs[-20:], "out_of_memory_count": len(self.backoffs)}
