"""P(answer = 1..5) from an OpenAI-compatible server's token log-probabilities.

With ``score_probs=true`` the openai backend asks for ``logprobs`` with
``top_logprobs``. The answer position is the first token whose text starts
with a digit 1–5 and follows the first ``answer:`` (else a digit at the very
start: HELM's parsing rule). The probabilities of the alternatives "1".."5" at
that position (summing variants such as "4" and " 4") are renormalised over
the five answers. Servers that ignore ``logprobs`` (``transformers serve``) or
models that refuse it (reasoning models) yield ``None``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

from roboreward_bench.rubric import ANSWER_MARKER, LABELS

_ANSWER_BEFORE = re.compile(ANSWER_MARKER + "$", re.IGNORECASE)
_DIGITS = tuple(str(label) for label in LABELS)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def answer_index(tokens: Sequence[str]) -> int | None:
    """Index of the token holding the answer digit the HELM parser would read, or None."""
    candidates = []
    prefix = ""
    for index, token in enumerate(tokens):
        stripped = token.lstrip()
        if stripped[:1] in _DIGITS:
            candidates.append((index, prefix + token[: len(token) - len(stripped)]))
        prefix += token
    for index, before in candidates:
        if _ANSWER_BEFORE.search(before):
            return index
    if candidates and not candidates[0][1].strip():
        return candidates[0][0]
    return None


def score_probs_from_logprobs(logprobs: Any) -> tuple[float, ...] | None:
    """The five answer probabilities from a choice's ``logprobs``, or None if they are missing."""
    content = _field(logprobs, "content") if logprobs is not None else None
    if not content:
        return None
    index = answer_index([str(_field(entry, "token") or "") for entry in content])
    if index is None:
        return None
    entry = content[index]
    alternatives = list(_field(entry, "top_logprobs") or [])
    if not alternatives:
        alternatives = [entry]
    mass = dict.fromkeys(_DIGITS, 0.0)
    for alternative in alternatives:
        text = str(_field(alternative, "token") or "").strip()
        logprob = _field(alternative, "logprob")
        if text in mass and logprob is not None and math.isfinite(float(logprob)):
            mass[text] += math.exp(float(logprob))
    total = sum(mass.values())
    if total <= 0:
        return None
    return tuple(mass[d] / total for d in _DIGITS)
