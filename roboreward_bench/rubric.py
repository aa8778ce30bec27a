"""The rubric's fixed vocabulary, used by every stage: the 1–5 labels and the answer marker.

Models are told to end with ``ANSWER: <score>``; the ``helm`` parser reads the
first ``answer:`` match, and the scoring backends look for the same marker
just before a score token.
"""

LABELS = (1, 2, 3, 4, 5)
SUCCESS_LABEL = LABELS[-1]
NEAR_MISS_LABEL = LABELS[-2]
ANSWER_MARKER = r"\banswer\b\s*:\s*"  # a regex; case-insensitive wherever it is used
