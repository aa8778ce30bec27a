"""Built-in baselines: ``random``, ``constant:<k>``, ``majority`` and ``median``.

They answer in the rubric's format (``ANSWER: k``) so they go through the same
parser as real models. ``random`` seeds each item from the run seed and the
item id, so a resumed or sharded run gives the same answers as a whole one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext, Response, fingerprint_of
from roboreward_bench.models.model_args import settings_from_args
from roboreward_bench.models.registry import register_model
from roboreward_bench.requests import Request
from roboreward_bench.rubric import LABELS


class _Baseline:
    """Common shape of the baselines: a fixed rule from request to answer."""

    batch_size = 64

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        self.name = name
        self._settings = dict(settings)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of({"baseline": self.name, **self._settings})

    def describe(self) -> Mapping[str, Any]:
        return {"kind": "baseline", **self._settings}

    def answer(self, request: Request) -> int:
        raise NotImplementedError

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(item_id=r.item_id, raw_text=f"ANSWER: {self.answer(r)}") for r in requests]


class RandomBaseline(_Baseline):
    """Uniform over 1–5, seeded per item from (seed, item id)."""

    def __init__(self, seed: int) -> None:
        super().__init__("random", {"seed": seed})
        self.seed = seed

    def answer(self, request: Request) -> int:
        digest = hashlib.sha256(f"{self.seed}\0{request.item_id}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        return int(rng.integers(1, 6))


class ConstantBaseline(_Baseline):
    """Always the same label."""

    def __init__(self, label: int, extra: Mapping[str, Any] | None = None, name: str = "constant") -> None:
        super().__init__(name, {"label": label, **(extra or {})})
        self.label = label

    def answer(self, request: Request) -> int:
        return self.label


@dataclass(frozen=True)
class RandomSettings:
    """``seed``: overrides the run seed for the answers."""

    seed: int | None = None


@dataclass(frozen=True)
class NoSettings:
    """A baseline that takes no model args."""


@register_model("random", "uniform random label 1–5, seeded per item", cache=False)
def make_random(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> RandomBaseline:
    """Uniform random label 1–5, seeded per item."""
    settings = settings_from_args(RandomSettings, model_args, "random")
    return RandomBaseline(seed=context.seed if settings.seed is None else settings.seed)


@register_model("constant", "constant:<k> always answers k (1–5)", cache=False)
def make_constant(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> ConstantBaseline:
    """``constant:<k>`` always answers k."""
    settings_from_args(NoSettings, model_args, "constant")
    if argument not in {str(label) for label in LABELS}:
        raise ModelError(f"constant baseline needs a label 1–5, as in 'constant:3' (got {argument!r})")
    return ConstantBaseline(int(argument))


@register_model("majority", "the most frequent label of the task's train/dev labels", cache=False)
def make_majority(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> ConstantBaseline:
    """The most frequent train/dev label (ties go to the lower label), stated in the results."""
    settings_from_args(NoSettings, model_args, "majority")
    if not context.reference_labels:
        raise ModelError("the majority baseline needs train or dev labels, and this task names none "
                         "(add 'reference: {path: <dev dataset folder>}' to the task YAML)")
    counts = Counter(context.reference_labels)
    label = min(counts, key=lambda k: (-counts[k], k))
    return ConstantBaseline(label, {"reference": context.reference_source,
                                    "reference_counts": {str(k): counts[k] for k in sorted(counts)}},
                            name="majority")


@register_model("median", "the median of the task's train/dev labels (the MAE-optimal constant)")
def make_median(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> ConstantBaseline:
    """The median train/dev label (the lower median on a tie): the constant with the least expected
    absolute error, so the floor the headline MAE must beat."""
    if not context.reference_labels:
        raise ModelError("the median baseline needs train or dev labels, and this task names none "
                         "(add 'reference: {path: <dev dataset folder>}' to the task YAML)")
    labels = sorted(context.reference_labels)
    label = labels[(len(labels) - 1) // 2]
    counts = Counter(labels)
    return ConstantBaseline(label, {"reference": context.reference_source,
                                    "reference_counts": {str(k): counts[k] for k in sorted(counts)}},
                            name="median")
