"""Stage 5: raw model text → a score or "invalid".

The ``helm`` parser is HELM's RoboRewardBench rule, byte for byte in effect:
strip the text; take the first case-insensitive ``answer: <number>`` match;
else a number at the very start of the output; else the answer is invalid.
Values are never clamped: a parsed 7 or -1 is recorded and scored as is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from roboreward_bench.plugins import PARSERS
from roboreward_bench.rubric import ANSWER_MARKER

_ANSWER = re.compile(ANSWER_MARKER + r"(-?\d+(?:\.\d+)?)", re.IGNORECASE)
# The trailing \b is what makes "3rd" invalid while "1.5x" still parses as 1.
_LEADING = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\b")


@dataclass(frozen=True)
class ParsedScore:
    """A parsed answer; ``value`` is None when the answer is invalid, and ``reason`` says why."""

    value: float | None
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.value is not None


def parse_helm(raw_text: str) -> ParsedScore:
    """HELM's rule: first ``answer: N`` (case-insensitive), else a leading number."""
    text = (raw_text or "").strip()
    if not text:
        return ParsedScore(None, "empty")
    match = _ANSWER.search(text) or _LEADING.match(text)
    if match is None:
        return ParsedScore(None, "no score found")
    value = float(match.group(1))
    return ParsedScore(value, None) if math.isfinite(value) else ParsedScore(None, "not a finite number")


PARSERS.add("helm", parse_helm, "HELM's rule: first 'answer: N', else a leading number")

from roboreward_bench.answer_rules import parse_helm_preference  # noqa: E402  (the preference protocol's rule)

PARSERS.add("helm-preference", parse_helm_preference, "HELM's preference rule: exactly A, B or tie after ANSWER:")


def get_parser(name: str) -> Callable[[str], ParsedScore]:
    """Look up a parser by name (built-in or from the ``rrbench.parsers`` entry points), with a did-you-mean."""
    return PARSERS.get(name)
