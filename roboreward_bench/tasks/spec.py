"""Frozen, typed task specs loaded from YAML, validated field by field with pydantic.

A task file looks like this (every key but ``name`` and ``source`` has a
default, which is the RoboReward protocol)::

    name: rrb-sim
    version: 1
    description: Held-out Meta-World episodes with simulator-derived labels.
    source: {kind: local, path: rrb_sim/test}          # relative to the YAML file
    # source: {kind: hf, repo: teetone/RoboReward, revision: <sha>, split: test}
    protocol: discrete                                # or progress (0–100) or preference (A/B/tie)
    prompt: roboreward-v1
    video_position: before                            # video, then text (discrete only; "after": text first)
    frames: {num_frames: 16}                          # or {fps: 2, max_frames: 32}, or {whole_video: true}
    generation: {max_tokens: 5000, temperature: 0}    # the protocol's settings; aliases cannot change them
    swap: false                                       # preference: also ask every pair in B/A order
    parser: helm
    invalid_rule: {kind: penalty, abs_error: 4.0}
    subset_key: subset                                # item field or metadata column for macro averaging
    subset_names: {bridge: Bridge}                    # display names (optional)
    metrics: [regression, ordinal, pairwise, success, voc, best_of_n]   # metric groups (`rrbench metrics`)
    headline: mae_macro
    success_threshold: 5
    bootstrap: {resamples: 1000, seed: 0, cluster: group_id}   # cluster: the item column resampled whole
    reference: {path: rrb_sim/dev}                    # train/dev labels for `majority` ...
    # reference: {label_counts: {1: 250, 2: 260, ...}, source: "train split, …"}  # ... or their counts

**Adding a field** is one line in the model it belongs to (with its type, range
and default). The YAML key is the field name; unknown keys get a did-you-mean
from the declared fields; ``canonical()`` (fingerprints, results.json) shows a
new field only when a file sets it to a non-default value, so the fingerprint of
an unchanged YAML stays the same. List it in ``_NEVER_CANONICAL`` if it must not
reach the fingerprint at all. Error messages come from :mod:`.spec_errors`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Callable, ClassVar, Literal, Mapping

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, \
    field_validator, model_validator

from roboreward_bench.errors import TaskError, did_you_mean
from roboreward_bench.plugins import METRICS, PARSERS, PROMPTS, metric_group_names
from roboreward_bench.tasks.spec_errors import explain_validation_error, read_yaml_mapping

# A local source is a folder holding this file (the local dataset format, see data/local.py).
METADATA_FILE = "metadata.jsonl"
# protocol -> the prompt, parser, max_tokens and headline HELM uses (shared/PROTOCOLS.md); a file may override each.
PROTOCOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "discrete": {"prompt": "roboreward-v1", "parser": "helm", "max_tokens": 5000, "headline": "mae_macro"},
    "progress": {"prompt": "helm-progress-v1", "parser": "helm", "max_tokens": 1024, "headline": "progress_mae"},
    "preference": {"prompt": "helm-preference-v1", "parser": "helm-preference", "max_tokens": 1024,
                   "headline": "preference_accuracy"},
}
# The label column of a local dataset row names its protocol (data/local.py and data/local_multi.py).
LABEL_COLUMNS = {"reward": "discrete", "progress": "progress", "preference": "preference"}


def _one_of(what: str, known: Callable[[], list[str]], hint: str = "") -> AfterValidator:
    """A validator accepting only the names ``known()`` lists (a registry, read when validating)."""
    def check(value: str) -> str:
        names = list(known())
        if value not in names:
            raise ValueError(f"unknown {what} {value!r}." + did_you_mean(value, names)
                             + (hint or f" Known: {', '.join(names)}"))
        return value
    return AfterValidator(check)


def _task_name(value: str) -> str:
    # The name becomes a folder under runs/, so nothing that could climb out of it or hide it.
    if value.startswith(".") or any(ch in value for ch in "/\\") or any(ord(ch) < 32 for ch in value):
        raise ValueError(f"must not start with '.' or contain '/', '\\' or control characters (got {value!r})")
    return value


# Strict scalars: YAML `true` is not 1, "5" is not 5, 2.0 is not an integer; numbers are finite.
Text = Annotated[str, Field(strict=True)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=120), AfterValidator(_task_name)]
NonEmptyText = Annotated[str, Field(strict=True, min_length=1)]
PositiveInt = Annotated[int, Field(strict=True, ge=1)]
Count = Annotated[int, Field(strict=True, ge=0)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
PositiveNumber = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Label = Annotated[int, Field(strict=True, ge=1, le=5)]
Flag = Annotated[bool, Field(strict=True)]
PromptName = Annotated[str, Field(strict=True), _one_of("prompt", PROMPTS.names)]
ParserName = Annotated[str, Field(strict=True), _one_of("parser", PARSERS.names)]
MetricGroup = Annotated[str, Field(strict=True), _one_of("metric group", metric_group_names)]
HeadlineMetric = Annotated[str, Field(strict=True, min_length=1),
                           _one_of("headline metric", METRICS.names, " Run 'rrbench metrics' for the catalogue.")]


def _resolve_path(value: Any, info: ValidationInfo) -> Any:
    """YAML paths are strings relative to the task file (``base_dir`` in the validation context)."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"must be a path (a non-empty string), got {value!r}")
    base_dir = (info.context or {}).get("base_dir")
    return (Path(base_dir) / value).resolve() if base_dir is not None else Path(value)


class SpecPart(BaseModel):
    """A frozen, closed (unknown keys refused) part of a task spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # Fields written to canonical() even at their default: the shape fingerprints had before pydantic.
    _ALWAYS_CANONICAL: ClassVar[tuple[str, ...]] = ()
    _NEVER_CANONICAL: ClassVar[tuple[str, ...]] = ()
    # Fields set by the loader, never read from the file.
    _INTERNAL_FIELDS: ClassVar[tuple[str, ...]] = ()

    def canonical(self) -> dict[str, Any]:
        """Plain data for fingerprints: the fixed fields, plus any other field set to a non-default value."""
        out: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if name in self._NEVER_CANONICAL:
                continue
            if name in self._ALWAYS_CANONICAL or value != info.get_default(call_default_factory=True):
                out[name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, SpecPart):
        return value.canonical()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value


class SourceSpec(SpecPart):
    """Where items come from: a local folder, or an HF dataset repo at a revision."""

    _ALWAYS_CANONICAL = ("kind", "repo", "revision", "split")
    _NEVER_CANONICAL = ("path",)  # absolute on this machine; the data manifest is fingerprinted instead

    kind: Literal["local", "hf"] = "local"
    path: Path | None = None
    repo: NonEmptyText | None = None
    revision: NonEmptyText | None = None
    split: NonEmptyText = "test"

    _path = field_validator("path", mode="before")(_resolve_path)

    @model_validator(mode="after")
    def _complete(self) -> "SourceSpec":
        if self.kind == "hf" and (self.repo is None or self.revision is None):
            raise ValueError("an hf source needs 'repo' and a pinned 'revision'")
        if self.kind == "hf" and self.path is not None:
            raise ValueError("an hf source takes 'repo' and 'revision', not 'path'")
        if self.kind == "local" and (self.repo is not None or self.revision is not None):
            raise ValueError("a local source takes 'path', not 'repo'/'revision' (set kind: hf for a hub dataset)")
        return self


class FrameSpec(SpecPart):
    """Frame sampling: ``num_frames`` uniformly, or ``fps`` capped at ``max_frames``; or ``whole_video``:
    the file itself is sent and the model (its processor, or the server) picks the frames."""

    _ALWAYS_CANONICAL = ("num_frames", "fps", "max_frames")

    num_frames: PositiveInt | None = 16
    fps: PositiveNumber | None = None
    max_frames: PositiveInt | None = None
    whole_video: Flag = False

    @model_validator(mode="before")
    @classmethod
    def _one_mode(cls, data: Any) -> Any:
        """``fps`` switches to rate sampling (``max_frames`` defaults to 32); the modes don't mix."""
        if isinstance(data, dict) and data.get("whole_video"):
            if any(data.get(key) is not None for key in ("num_frames", "fps", "max_frames")):
                raise ValueError("'whole_video' sends the file itself; it takes no num_frames, fps or max_frames")
            return {**data, "num_frames": None}
        if not isinstance(data, dict) or data.get("fps") is None:
            if isinstance(data, dict) and data.get("max_frames") is not None:
                raise ValueError("'max_frames' applies only with 'fps'")
            return data
        if data.get("num_frames") is not None:
            raise ValueError("give 'num_frames' or 'fps', not both")
        return {"max_frames": 32, **data, "num_frames": None}

    def describe(self) -> dict[str, Any]:
        """The sampling settings as plain data (part of every request's cache key)."""
        return self.canonical()


class GenerationSpec(SpecPart):
    """Generation settings the protocol fixes: every backend receives them; a run that changes
    them is recorded as non-standard."""

    _ALWAYS_CANONICAL = ("max_tokens", "temperature")

    max_tokens: PositiveInt = 5000
    temperature: Annotated[Number, Field(ge=0)] = 0.0

    def describe(self) -> dict[str, Any]:
        """The settings as plain data."""
        return self.canonical()


class InvalidRule(SpecPart):
    """How an invalid or errored answer is scored: ``penalty`` with a fixed absolute error."""

    _ALWAYS_CANONICAL = ("kind", "abs_error")

    kind: Literal["penalty"] = "penalty"
    abs_error: PositiveNumber = 4.0


class BootstrapSpec(SpecPart):
    """Confidence intervals: how many bootstrap resamples, from which seed, resampling which
    item column as one unit (``cluster``: items sharing an initial state or a source video are
    not independent; ``episode_id`` by default)."""

    resamples: PositiveInt = 1000
    seed: Count = 0
    cluster: NonEmptyText = "episode_id"


class ReferenceSpec(SpecPart):
    """Train/dev labels for baselines like ``majority``: a dataset folder, or their counts."""

    path: Path | None = None
    label_counts: dict[Label, Count] = Field(default_factory=dict)
    source: Text = ""

    _path = field_validator("path", mode="before")(_resolve_path)

    @model_validator(mode="after")
    def _something(self) -> "ReferenceSpec":
        if self.path is None and not self.label_counts:
            raise ValueError("needs 'path' (a dataset folder) or 'label_counts'")
        return self


class TaskSpec(SpecPart):
    """A benchmark task. ``path`` is the YAML file it was loaded from (None if built in code)."""

    _ALWAYS_CANONICAL = ("name", "version", "prompt", "video_position", "frames", "parser", "invalid_rule",
                         "subset_key", "metrics", "headline", "success_threshold", "source", "require_verified")
    _NEVER_CANONICAL = ("description", "subset_names", "bootstrap", "reference_spec", "path")
    _INTERNAL_FIELDS = ("path",)

    name: Name
    source: SourceSpec
    version: PositiveInt = 1
    description: Text = ""
    protocol: Literal["discrete", "progress", "preference"] = "discrete"
    prompt: PromptName = "roboreward-v1"
    video_position: Literal["before", "after"] = "before"
    frames: FrameSpec = FrameSpec()
    generation: GenerationSpec = GenerationSpec()
    swap: Flag = False
    parser: ParserName = "helm"
    invalid_rule: InvalidRule = InvalidRule()
    subset_key: NonEmptyText = "subset"
    subset_names: dict[Text, Text] = Field(default_factory=dict)
    subset_aliases: dict[Text, Text] = Field(default_factory=dict)
    metrics: tuple[MetricGroup, ...] = Field(default_factory=lambda: tuple(metric_group_names(builtin_only=True)))
    headline: HeadlineMetric = "mae_macro"
    success_threshold: Annotated[Number, Field(ge=1, le=5)] = 5.0
    bootstrap: BootstrapSpec = BootstrapSpec()
    reference_spec: ReferenceSpec | None = Field(None, alias="reference")
    require_verified: Flag = False
    path: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _protocol_defaults(cls, data: Any) -> Any:
        """Prompt, parser, headline and max_tokens default to what HELM uses for the protocol."""
        if not isinstance(data, dict) or data.get("protocol") not in PROTOCOL_DEFAULTS:
            return data
        defaults = PROTOCOL_DEFAULTS[data["protocol"]]
        generation = data.get("generation", {})
        if isinstance(generation, dict):
            generation = {"max_tokens": defaults["max_tokens"], **generation}
        whole = {"frames": {"whole_video": True}} if data["protocol"] != "discrete" else {}  # HELM sends the MP4s
        return {**{k: defaults[k] for k in ("prompt", "parser", "headline")}, **whole, **data,
                "generation": generation}

    @model_validator(mode="after")
    def _protocol_fits(self) -> "TaskSpec":
        if self.protocol != "discrete" and "video_position" in self.model_fields_set:
            raise ValueError(f"'video_position' applies to the discrete protocol only; the {self.protocol} "
                             f"protocol fixes its own part order")
        if self.swap and self.protocol != "preference":
            raise ValueError("'swap' applies to the preference protocol only")
        return self

    @field_validator("description", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return "" if value is None else value.strip() if isinstance(value, str) else value

    @field_validator("metrics", mode="before")
    @classmethod
    def _list_of_metrics(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"must be a list of metric groups from: {', '.join(metric_group_names())}")
        if not value:
            raise ValueError("must list at least one metric group")
        twice = sorted({str(v) for v in value if list(value).count(v) > 1})
        if twice:
            raise ValueError(f"lists {twice[0]!r} twice")
        return tuple(value)

    @property
    def reference(self) -> Path | None:
        """The reference dataset folder, if the task names one."""
        return self.reference_spec.path if self.reference_spec else None

    @property
    def reference_counts(self) -> dict[int, int]:
        """Label → count of the reference labels, when only their counts are shipped."""
        return dict(self.reference_spec.label_counts) if self.reference_spec else {}

    @property
    def reference_source(self) -> str:
        return self.reference_spec.source if self.reference_spec else ""

    def __hash__(self) -> int:
        return hash(json.dumps(self.canonical(), sort_keys=True))


def load_task_spec(path: Path | str) -> TaskSpec:
    """Load and validate a task YAML; every problem is a one-line :class:`TaskError`."""
    path = Path(path)
    raw = read_yaml_mapping(path, what="task file")
    return task_spec_from_dict(raw, where=str(path), base_dir=path.parent, path=path)


def task_spec_from_dict(raw: Mapping[str, Any], where: str, base_dir: Path, path: Path | None = None) -> TaskSpec:
    """Validate a task mapping; relative paths resolve against ``base_dir``."""
    for key in TaskSpec._INTERNAL_FIELDS:  # set from where the file is, never from inside it
        if key in raw:
            raise TaskError(f"{where}: unknown key {key!r} (a task's {key} is where its file is)")
    try:
        return TaskSpec.model_validate({**raw, "path": path}, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise TaskError(f"{where}: " + explain_validation_error(exc, TaskSpec)) from None


def default_spec_for_folder(folder: Path, protocol: str = "discrete") -> TaskSpec:
    """HELM's protocol for a bare dataset folder (``--task PATH``); ``protocol`` comes from its metadata.

    Progress and preference folders send each camera's whole MP4, as HELM does; discrete folders keep
    the RoboReward defaults (16 sampled frames), so their earlier runs stay resumable.
    """
    folder = folder.resolve()
    extra: dict[str, Any] = {} if protocol == "discrete" else {"protocol": protocol}
    spec = task_spec_from_dict({"name": f"local:{folder.name}", "description": f"Dataset folder {folder}",
                                "source": {"kind": "local", "path": str(folder)}, **extra},
                               where=str(folder), base_dir=folder)
    # Folder tasks always fingerprinted the threshold as the integer 5; keep their runs resumable.
    return spec.model_copy(update={"success_threshold": 5})


def protocol_of_folder(folder: Path) -> str:
    """The protocol of a local dataset, read from the label column of its first metadata row."""
    path = folder / METADATA_FILE
    with open(path, "rb") as handle:  # line by line: a bad byte further down is the loader's to name
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise TaskError(f"{path}:{number}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                                "save the file as UTF-8") from None
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            found = [LABEL_COLUMNS[k] for k in LABEL_COLUMNS if isinstance(row, dict) and k in row]
            if len(found) != 1:
                raise TaskError(f"{path}:{number}: a row needs exactly one label column: 'reward' (1–5), "
                                f"'progress' (0–100) or 'preference' (A, B or tie)")
            return found[0]
    raise TaskError(f"{path}: no items")

