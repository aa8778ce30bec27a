"""Stage 5 for the preference protocol, and invalid-answer reasons for every protocol.

HELM's preference rule (``RoboRewardBenchPreferenceRankingMetric.extract_answer``,
branch ``rob`` at 0805b90bf28b; shared/PROTOCOLS.md §3):

1. if the text contains ``ANSWER:``, take what follows its first occurrence;
   otherwise, if it contains ``Answer:``, what follows that; otherwise the whole text;
2. strip it; it is valid only if, lowercased, it is exactly ``a``, ``b``,
   ``tie`` or ``tied``. Anything else is invalid: ``"A."``, ``"ANSWER: A (if
   Policy A is better)"`` and ``"answer: a"`` (neither marker matches, so the
   whole text is compared) all are.

Scoring: exact match when the answer equals the gold label case-insensitively,
or both are ties; an invalid answer scores 0.
"""

from __future__ import annotations

from typing import ClassVar

from dataclasses import dataclass

CHOICES = {"a": "A", "b": "B", "tie": "tie", "tied": "tie"}


# Why a preference answer is invalid (counted in results.json ``notes.invalid_by_reason``).
EMPTY = "empty"
NOT_A_CHOICE_AFTER_MARKER = "text after ANSWER: is not exactly A, B or tie"
NOT_A_CHOICE = "no ANSWER: and the text is not exactly A, B or tie"


@dataclass(frozen=True)
class ParsedChoice:
    """A parsed preference: "A", "B" or "tie"; ``value`` is None when the answer is invalid, and
    ``reason`` says why."""

    value: str | None
    reason: str | None = None
    # The invalid-answer reason counted in results.json when the text names no choice.
    INVALID_REASON: ClassVar[str] = "not_a_choice"

    @property
    def valid(self) -> bool:
        return self.value is not None


def answer_text(raw_text: str) -> str:
    """The part of the output HELM compares: after the first ``ANSWER:``, else ``Answer:``, else all, stripped."""
    text = raw_text or ""
    for marker in ("ANSWER:", "Answer:"):
        if marker in text:
            return text.split(marker, 1)[1].strip()
    return text.strip()


def parse_helm_preference(raw_text: str) -> ParsedChoice:
    """HELM's preference rule: the answer text must be exactly a, b, tie or tied (any case)."""
    choice = CHOICES.get(answer_text(raw_text).lower())
    if choice is not None:
        return ParsedChoice(choice)
    if not (raw_text or "").strip():
        return ParsedChoice(None, EMPTY)
    marked = "ANSWER:" in raw_text or "Answer:" in raw_text
    return ParsedChoice(None, NOT_A_CHOICE_AFTER_MARKER if marked else NOT_A_CHOICE)


def preference_match(parsed: str | None, gold: str) -> bool:
    """HELM's exact match: equal ignoring case, or both ties; an invalid answer never matches."""
    if parsed is None:
        return False
    return CHOICES.get(parsed.lower(), parsed) == CHOICES.get(gold.lower(), gold)
