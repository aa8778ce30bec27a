"""P(answer = 1..5) at the answer position, for ``score_probs=true``.

Where the answer is: the first digit that the task's parser would read — the
digit after the first ``answer:`` in the completion, else a digit at the very
start of it (HELM's rule, :mod:`roboreward_bench.parsing`).

- If the completion contains that digit, the probabilities are read from the
  logits ``generate`` produced at that step: exactly the distribution the model
  sampled its answer from.
- Otherwise (no parsable answer, e.g. the model rambled or was cut off), the
  completion is teacher-forced: prompt + completion + ``"ANSWER: "`` is run
  through the model once more and the next-token logits are read.

Either way the softmax is taken over the five digit tokens only, so the five
probabilities sum to 1.
"""

from __future__ import annotations

import re
from typing import Sequence

from roboreward_bench.errors import ModelError
from roboreward_bench.models.hf_inputs import collect_media, processor_inputs
from roboreward_bench.requests import Request
from roboreward_bench.rubric import ANSWER_MARKER

SCORE_PROBS_METHOD = ("softmax over the tokens '1'..'5' at the answer position: the logits of the generated "
                      "answer digit (after the first 'answer:', else a leading digit); if the completion has "
                      "none, teacher-forced after completion + 'ANSWER: '")
FORCED_SUFFIX = "ANSWER: "
_ANSWER_BEFORE = re.compile(ANSWER_MARKER + "$", re.IGNORECASE)


def answer_step(token_ids: Sequence[int], digit_ids: Sequence[int], decode) -> int | None:
    """Index in ``token_ids`` of the digit the HELM parser would read, or None."""
    digits = set(digit_ids)
    positions = [i for i, token in enumerate(token_ids) if token in digits]
    for position in positions:
        if _ANSWER_BEFORE.search(decode(token_ids[:position])):
            return position
    if positions and not decode(token_ids[:positions[0]]).strip():
        return positions[0]
    return None


class AnswerScorer:
    """Reads P(1..5) for a generated batch (see the module docstring for where)."""

    def __init__(self, processor, model) -> None:
        self.processor = processor
        self.model = model
        tokenizer = processor.tokenizer
        ids = [tokenizer.encode(str(d), add_special_tokens=False) for d in range(1, 6)]
        if any(len(token) != 1 for token in ids):
            raise ModelError("score_probs needs the digits 1-5 to be single tokens in this tokenizer")
        self.digit_ids = [token[0] for token in ids]

    def _decode(self, ids: Sequence[int]) -> str:
        return self.processor.tokenizer.decode(list(ids), skip_special_tokens=True)

    def score(self, requests: Sequence[Request], prompts: Sequence[str], completions: Sequence[list[int]],
              texts: Sequence[str], step_logits, frames_as: str, device) -> list[tuple[float, ...]]:
        """One 5-tuple of probabilities per request."""
        results: list[tuple[float, ...] | None] = [None] * len(requests)
        forced: list[int] = []
        for row, ids in enumerate(completions):
            step = answer_step(ids, self.digit_ids, self._decode)
            if step is None or step >= len(step_logits):
                forced.append(row)
            else:
                results[row] = self._probs(step_logits[step][row])
        if forced:
            for row, probs in zip(forced, self._forced([requests[r] for r in forced],
                                                       [prompts[r] + _continuation(texts[r]) for r in forced],
                                                       frames_as, device)):
                results[row] = probs
        return results  # type: ignore[return-value]

    def _forced(self, requests: Sequence[Request], prompts: list[str], frames_as: str, device):
        import torch

        media = collect_media(requests, frames_as, self.processor)
        inputs = processor_inputs(self.processor, prompts, media).to(device).to(self.model.dtype)
        with torch.inference_mode():
            logits = self.model(**inputs, logits_to_keep=1).logits[:, -1, :]
        return [self._probs(row) for row in logits]

    def _probs(self, logits) -> tuple[float, ...]:
        import torch

        chosen = logits[self.digit_ids].float()
        probs = torch.softmax(chosen, dim=-1).double()
        probs = probs / probs.sum()
        return tuple(float(p) for p in probs)


def _continuation(text: str) -> str:
    """Completion text followed by the forced answer prefix on a fresh line."""
    if not text or text[-1].isspace():
        return text + FORCED_SUFFIX
    return text + "\n" + FORCED_SUFFIX
