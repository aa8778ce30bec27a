"""``submission.yaml``: the metadata of one leaderboard submission.

Two kinds share most fields:

- ``verified``: a run of rrbench, with its ``predictions.jsonl`` (and
  optionally its ``results.json``). Every number shown for it is recomputed.
- ``reported``: numbers copied from a paper. It carries a required
  ``citation`` and no predictions, and is shown apart from verified rows.

The pydantic models below are the definition; ``submissions/README.md``
documents them and ``rrbench validate --schema`` prints the JSON Schema.
Every problem becomes one line naming the field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from roboreward_bench.errors import did_you_mean

SCHEMA_VERSION = 1
KINDS = ("verified", "reported")
# Folder names and task names: no separators, no dots first, nothing to escape.
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
URL_PATTERN = r"^https?://[^\s<>\"'`\\]+$"
# Control characters, plus bidirectional overrides and zero-width marks that could make a
# name display as something else.
_DISGUISE = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f{_DISGUISE}]")
_CONTROL_BUT_NEWLINES = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f{_DISGUISE}]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _one_line(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must be a single line without control or bidirectional-override characters")
    return value


def _multi_line(value: str | None) -> str | None:
    if value is not None and _CONTROL_BUT_NEWLINES.search(value):
        raise ValueError("must not contain control or bidirectional-override characters")
    return value


class ModelCard(_Strict):
    """Who made the model and what it is."""

    name: str = Field(min_length=1, max_length=120, description="display name, e.g. Qwen2.5-VL-7B-Instruct")
    organisation: str = Field(min_length=1, max_length=120, description="who trained or serves the model")
    link: str | None = Field(default=None, max_length=500, pattern=URL_PATTERN,
                             description="http(s) page of the model: weights, API docs or paper")
    parameters_b: float | None = Field(default=None, ge=0, le=100000,
                                       description="parameter count in billions; null when undisclosed, 0 for rule baselines")
    weights: Literal["open", "closed"] = Field(description="open: weights downloadable; closed: API only")
    backend: str | None = Field(default=None, max_length=64, description="rrbench backend that ran it (hf, openai, random …)")
    spec: str | None = Field(default=None, max_length=300, description="the --model value of the run")
    fingerprint: str | None = Field(default=None, max_length=128, description="the run's model fingerprint")

    _lines = field_validator("name", "organisation", "backend", "spec", "fingerprint")(_one_line)


class FrameSettings(_Strict):
    """Frame sampling of the run, as in the task spec's ``frames``."""

    num_frames: int | None = Field(default=None, ge=1, le=4096)
    fps: float | None = Field(default=None, gt=0, le=1000)
    max_frames: int | None = Field(default=None, ge=1, le=4096)
    whole_video: bool = Field(default=False, description="the video files themselves were sent (HELM's protocols)")
    mode: Literal["sampled", "whole_video"] | None = Field(default=None, description="what the model was sent")
    frames_used: dict[str, float] | str | None = Field(
        default=None, description="frames per video the model reported using (videos, min, max, mean), or why not")


class Citation(_Strict):
    """Where reported numbers come from."""

    source: str = Field(min_length=1, max_length=300,
                        description="paper, version and table, e.g. 'arXiv 2601.00675 v2, table \"all\"'")
    url: str = Field(max_length=500, pattern=URL_PATTERN)
    bibtex: str | None = Field(default=None, max_length=10000)

    _lines = field_validator("source")(_one_line)
    _text = field_validator("bibtex")(_multi_line)


class _Common(_Strict):
    schema_version: Literal[1] = Field(description="version of this schema")
    task: str = Field(pattern=SLUG_PATTERN, description="registered task name; equals the parent folder's name")
    model: ModelCard
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="submission date, YYYY-MM-DD")
    contact: str = Field(min_length=1, max_length=200,
                         description="e-mail or GitHub handle of the submitter, for the maintainers")
    public_contact: bool = Field(default=False, description="true to show contact on the model page; "
                                                            "by default it is never published")
    paper: str | None = Field(default=None, max_length=500, pattern=URL_PATTERN, description="paper about the model")
    bibtex: str | None = Field(default=None, max_length=10000, description="BibTeX to cite the model")
    notes: str | None = Field(default=None, max_length=2000)

    _lines = field_validator("contact")(_one_line)
    _text = field_validator("bibtex", "notes")(_multi_line)

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        date.fromisoformat(value)
        return value


class VerifiedSubmission(_Common):
    """A run of rrbench; ``predictions.jsonl`` is required and re-scored."""

    kind: Literal["verified"]
    task_version: int = Field(ge=1, description="task version the run used")
    task_fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$", description="task fingerprint the run used")
    prompt_version: str = Field(min_length=1, max_length=64)
    frames: FrameSettings
    seed: int
    non_standard: bool = Field(default=False, description="true when settings differ from the task's defaults")
    deviations: list[str] = Field(default_factory=list, max_length=20,
                                  description="each setting that differs from the task's defaults")

    @field_validator("deviations")
    @classmethod
    def _deviation_lines(cls, values: list[str]) -> list[str]:
        for value in values:
            _one_line(value)
            if not value or len(value) > 300:
                raise ValueError("each deviation must be 1–300 characters")
        return values


class ReportedSubmission(_Common):
    """Numbers copied from a paper: a citation is required, predictions are not allowed."""

    kind: Literal["reported"]
    task_version: int | None = Field(default=None, ge=1, description="task version the paper's numbers refer to")
    citation: Citation
    metrics: dict[str, float] = Field(min_length=1, description="metric name → value as printed in the source")
    per_subset: dict[str, dict[str, float]] = Field(default_factory=dict,
                                                    description="subset → metric → value, if the source gives them")


Submission = VerifiedSubmission | ReportedSubmission


def parse_submission(raw: Any, where: str) -> tuple[Submission | None, list[str]]:
    """Validate decoded YAML; returns the submission or one line per problem."""
    if not isinstance(raw, dict):
        return None, [f"{where}: must be a YAML mapping of fields"]
    kind = raw.get("kind")
    if kind not in KINDS:
        return None, [f"{where}: kind must be 'verified' or 'reported', got {kind!r}"]
    if raw.get("schema_version") != SCHEMA_VERSION:
        return None, [f"{where}: schema_version must be {SCHEMA_VERSION}, got {raw.get('schema_version')!r}"]
    model = VerifiedSubmission if kind == "verified" else ReportedSubmission
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, [f"{where}: {_describe(error, model)}" for error in exc.errors()]


_PATTERN_WORDS = {
    SLUG_PATTERN: "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    URL_PATTERN: "must be an http:// or https:// URL",
    r"^[0-9a-f]{64}$": "must be 64 lowercase hex digits (a SHA-256)",
    r"^\d{4}-\d{2}-\d{2}$": "must be a date YYYY-MM-DD",
}


def _describe(error: Any, model: type[BaseModel]) -> str:
    """One readable line for one pydantic error."""
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        known = _field_names(model, error["loc"][:-1])
        return f"unknown field {location!r}." + did_you_mean(str(error["loc"][-1]), known)
    if error["type"] == "missing":
        return f"missing required field {location!r}"
    message = _PATTERN_WORDS.get(error.get("ctx", {}).get("pattern", ""), error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{location}: {message} (got {shown})"


def _field_names(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    for part in path:
        annotation = model.model_fields.get(str(part))
        inner = getattr(annotation, "annotation", None)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


def json_schema() -> dict[str, Any]:
    """JSON Schema of both kinds (for docs and editors)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "rrbench submission.yaml",
        "oneOf": [VerifiedSubmission.model_json_schema(), ReportedSubmission.model_json_schema()],
    }
