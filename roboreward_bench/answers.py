"""An answer is not an error: judging a model's answer valid or invalid, and why.

An *answer* is whatever text (or refusal) the model gave back. It is either
valid (the task's parser reads a number from it) or invalid for one reason:

- ``refused``: the backend flagged a refusal, or the text opens like one
  ("I'm sorry", "I cannot", …) and has no number;
- ``truncated``: generation stopped at the token limit (finish_reason
  ``length``) before a number appeared;
- ``empty``: nothing but whitespace;
- ``no_number``: text the parser cannot read a number from;
- ``not_a_choice``: for a preference task, text that is not exactly A, B or tie under HELM's rule.

Invalid answers are scored with the task's penalty and counted by reason;
they never fail a run and are never retried. An *error* is different: no
answer was obtained at all (request failed, timed out, video unreadable), and
errored items are retried when the run is run again. :func:`judge_answer` is
the one place that decides validity and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol

INVALID_REASONS = ("empty", "refused", "truncated", "no_number", "not_a_choice")
TRUNCATED_FINISH_REASONS = ("length", "max_tokens")  # OpenAI / vLLM say "length"; some servers "max_tokens"

# How refusals open in practice; only consulted when the text holds no number.
_REFUSAL_OPENING = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry\b|i can ?not\b|i can'?t\b|i won'?t\b|i will not\b|i'?m (not able|unable)"
    r"|i am (not able|unable)|as an ai\b|i must decline|i do not feel comfortable|i'?m not comfortable)",
    re.IGNORECASE)


class _Parsed(Protocol):
    value: float | None


@dataclass(frozen=True)
class Judgement:
    """The score read from an answer (None when invalid) and, when invalid, why."""

    value: float | None
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.value is not None


def judge_answer(raw_text: str, parse: Callable[[str], _Parsed], finish_reason: str | None = None,
                 refusal: str | None = None) -> Judgement:
    """Judge one answer with the task's parser; the backend's finish reason and refusal say why it failed."""
    if refusal:
        return Judgement(None, "refused")
    text = raw_text or ""
    parsed = parse(text)
    value = parsed.value
    if value is not None:
        return Judgement(value)
    if finish_reason in TRUNCATED_FINISH_REASONS:
        return Judgement(None, "truncated")
    if not text.strip():
        return Judgement(None, "empty")
    if _REFUSAL_OPENING.match(text):
        return Judgement(None, "refused")
    # A choice parser (preference) names its own reason; a number parser's is no_number.
    return Judgement(None, getattr(type(parsed), "INVALID_REASON", "no_number"))


def answer_reasons(by_reason: dict[str, int]) -> dict[str, int]:
    """The invalid *answers* among penalty counts by reason (errors left out), every reason shown, zeros too."""
    return {reason: int(by_reason.get(reason, 0)) for reason in INVALID_REASONS}
