"""User-facing errors.

Every error caused by bad input (a task file, a dataset row, a model name, a
predictions file) is an :class:`RRBenchError`. The CLI prints its message as a
single line and exits non-zero, never with a traceback, so messages must name
the file, line or item and say what is wrong.
"""

from __future__ import annotations


class RRBenchError(Exception):
    """An error in user input, reported as one line without a traceback."""


class TaskError(RRBenchError):
    """A task spec is missing, malformed or names something unknown."""


class DataError(RRBenchError):
    """A dataset folder or one of its rows is malformed."""


class ModelError(RRBenchError):
    """A model spec cannot be resolved or a backend cannot be built."""


class PredictionsError(RRBenchError):
    """A predictions or results file is malformed or does not match its task."""


def did_you_mean(name: str, choices: list[str]) -> str:
    """Return a " Did you mean 'x'?" suffix for the closest choices, or ""."""
    import difflib

    scored = sorted(((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in choices), reverse=True)
    # Only suggestions about as good as the best one; a far second guess is noise.
    close = [c for score, c in scored[:3] if score >= 0.5 and score >= scored[0][0] - 0.1]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
