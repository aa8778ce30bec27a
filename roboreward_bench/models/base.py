"""The :class:`RewardModel` interface and its :class:`Response`.

Every backend (baselines, transformers, OpenAI-compatible servers, third-party
plugins) implements this protocol. ``generate`` takes a batch of requests and
returns one response per request, in order. A failure on one request is
returned as a response with ``error`` set, never raised, so one bad item cannot
stop a run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from roboreward_bench.errors import ModelError
from roboreward_bench.requests import Request


class FatalModelError(ModelError):
    """The model cannot answer any request as configured (e.g. a server that refuses video input).

    Raised from ``generate``; the run stops with this one line, keeping every
    answer already written, instead of failing each item the same way.
    """


@dataclass(frozen=True)
class Usage:
    """Token counts reported by a backend (zeros where it reports none)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Response:
    """A model's answer to one request.

    ``score_probs`` holds a probability for each answer 1–5 when the backend
    can score them (log-probabilities at the answer position); ``error`` is set
    when no answer could be produced (the item is then scored with the maximum
    penalty and retried when the run is run again). An empty, refused or
    truncated answer is *not* an error: ``finish_reason`` (``stop``, ``length``
    …) and ``refusal`` (the backend's refusal message) let the scorer say why
    it is invalid (see :mod:`roboreward_bench.answers`).
    """

    item_id: str
    raw_text: str
    score_probs: tuple[float, float, float, float, float] | None = None
    error: str | None = None
    latency_s: float = 0.0
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    frames_used: tuple[tuple[int, ...], ...] | None = None  # per video part: frame indices the model saw
    finish_reason: str | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class ModelContext:
    """What the harness tells a model factory about the run.

    ``reference_labels`` are the task's train or dev labels (for the majority
    baseline), with ``reference_source`` saying where they came from.
    ``generation`` holds the protocol's generation settings (``max_tokens``,
    ``temperature``): backends use them unless a model arg overrides them,
    which the run then records as non-standard.
    """

    seed: int = 0
    reference_labels: tuple[int, ...] = ()
    reference_source: str | None = None
    generation: Mapping[str, Any] = field(default_factory=dict)  # the task protocol's max_tokens, temperature


@runtime_checkable
class RewardModel(Protocol):
    """A reward model: batched generation plus a cache fingerprint."""

    name: str
    batch_size: int

    @property
    def fingerprint(self) -> str:
        """Stable id of model + revision/weights + generation settings."""
        ...

    def describe(self) -> Mapping[str, Any]:
        """Facts recorded in results.json (resolved revision, settings, notes)."""
        ...

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """Answer a batch of requests, one response each, in order."""
        ...


def fingerprint_of(payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a JSON-serialisable description, keys sorted."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
