"""Frozen, typed task specs loaded from YAML.

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
    metrics: [regression, ordinal, pairwise, success, voc, best_of_n]
    headline: mae_macro
    success_threshold: 5
    bootstrap: {resamples: 1000, seed: 0}
    reference: {path: rrb_sim/dev}                    # train/dev labels for `majority` ...
    # reference: {label_counts: {1: 250, 2: 260, ...}, source: "train split, …"}  # ... or their counts
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from roboreward_bench.errors import TaskError, did_you_mean

# A local source is a folder holding this file (the local dataset format, see data/local.py).
METADATA_FILE = "metadata.jsonl"
KNOWN_METRIC_GROUPS = ("regression", "ordinal", "pairwise", "success", "voc", "best_of_n")
KNOWN_PROMPTS = ("roboreward-v1", "helm-progress-v1", "helm-preference-v1")
KNOWN_PARSERS = ("helm", "helm-preference")
# protocol -> (prompt, parser, max_tokens) that HELM uses (shared/PROTOCOLS.md); every key is overridable.
PROTOCOLS: dict[str, tuple[str, str, int]] = {
    "discrete": ("roboreward-v1", "helm", 5000),
    "progress": ("helm-progress-v1", "helm", 1024),
    "preference": ("helm-preference-v1", "helm-preference", 1024),
}


# What each protocol reports first, and which way is better (results.json records both).
DEFAULT_HEADLINES = {"discrete": "mae_macro", "progress": "mae", "preference": "accuracy"}
HEADLINE_DIRECTIONS = {"mae_macro": "lower", "mae_micro": "lower", "mae": "lower", "mae_strict": "lower",
                       "rmse_macro": "lower", "accuracy": "higher", "exact_acc": "higher", "qwk": "higher"}


@dataclass(frozen=True)
class SourceSpec:
    """Where items come from: a local folder, or an HF dataset repo at a revision."""

    kind: str = "local"
    path: Path | None = None
    repo: str | None = None
    revision: str | None = None
    split: str = "test"


@dataclass(frozen=True)
class FrameSpec:
    """Frame sampling: ``num_frames`` uniformly, or ``fps`` capped at ``max_frames``."""

    num_frames: int | None = 16
    fps: float | None = None
    max_frames: int | None = None
    whole_video: bool = False

    def describe(self) -> dict[str, Any]:
        if self.whole_video:  # the file itself is sent; the model (processor or server) picks frames
            return {"whole_video": True}
        return {"num_frames": self.num_frames, "fps": self.fps, "max_frames": self.max_frames}


@dataclass(frozen=True)
class GenerationSpec:
    """Generation settings the protocol fixes: every backend receives them, aliases cannot change them."""

    max_tokens: int = 5000
    temperature: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}


@dataclass(frozen=True)
class InvalidRule:
    """How an invalid or errored answer is scored: ``penalty`` with a fixed absolute error."""

    kind: str = "penalty"
    abs_error: float = 4.0


@dataclass(frozen=True)
class BootstrapSpec:
    resamples: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class TaskSpec:
    """A benchmark task. ``path`` is the YAML file it was loaded from (None if built in code)."""

    name: str
    source: SourceSpec
    version: int = 1
    description: str = ""
    prompt: str = "roboreward-v1"
    video_position: str = "before"
    frames: FrameSpec = FrameSpec()
    parser: str = "helm"
    protocol: str = "discrete"
    generation: GenerationSpec = GenerationSpec()
    swap: bool = False
    invalid_rule: InvalidRule = InvalidRule()
    subset_key: str = "subset"
    subset_names: Mapping[str, str] = field(default_factory=dict, hash=False)
    subset_aliases: Mapping[str, str] = field(default_factory=dict, hash=False)
    metrics: tuple[str, ...] = KNOWN_METRIC_GROUPS
    headline: str = "mae_macro"
    success_threshold: float = 5
    bootstrap: BootstrapSpec = BootstrapSpec()
    reference: Path | None = None
    reference_counts: Mapping[int, int] = field(default_factory=dict, hash=False)
    reference_source: str = ""
    require_verified: bool = False
    path: Path | None = field(default=None, compare=False)

    def canonical(self) -> dict[str, Any]:
        """The spec as plain data (paths relative), for fingerprints and results.json."""
        return {
            "name": self.name, "version": self.version, "prompt": self.prompt,
            "video_position": self.video_position, "frames": self.frames.describe(),
            "parser": self.parser,
            "invalid_rule": {"kind": self.invalid_rule.kind, "abs_error": self.invalid_rule.abs_error},
            "subset_key": self.subset_key, "metrics": list(self.metrics), "headline": self.headline,
            "success_threshold": self.success_threshold,
            "source": {"kind": self.source.kind, "repo": self.source.repo,
                       "revision": self.source.revision, "split": self.source.split},
            "require_verified": self.require_verified,
            **self._protocol_keys(),
        }

    def _protocol_keys(self) -> dict[str, Any]:
        """Protocol fields, written only where they differ from the pre-protocol defaults, so the
        fingerprints of tasks that do not use them (and their submissions) stay unchanged."""
        keys: dict[str, Any] = {}
        if self.protocol != "discrete":
            keys["protocol"] = self.protocol
        if self.generation != GenerationSpec():
            keys["generation"] = self.generation.describe()
        if self.swap:
            keys["swap"] = True
        return keys


_TOP_KEYS = {"name", "version", "description", "source", "prompt", "video_position", "frames", "parser",
             "invalid_rule", "subset_key", "subset_names", "metrics", "headline", "success_threshold",
             "bootstrap", "reference", "require_verified", "protocol", "generation", "swap", "subset_aliases"}


def load_task_spec(path: Path | str) -> TaskSpec:
    """Load and validate a task YAML; every problem is a one-line :class:`TaskError`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{path}: no such task file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TaskError(f"{where}: malformed YAML ({problem})") from None
    if not isinstance(raw, dict):
        raise TaskError(f"{path}: a task file must be a YAML mapping")
    return task_spec_from_dict(raw, where=str(path), base_dir=path.parent, path=path)


def task_spec_from_dict(raw: Mapping[str, Any], where: str, base_dir: Path, path: Path | None = None) -> TaskSpec:
    """Validate a task mapping; relative paths resolve against ``base_dir``."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        key = unknown[0]
        raise TaskError(f"{where}: unknown key {key!r}." + did_you_mean(key, sorted(_TOP_KEYS)))
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise TaskError(f"{where}: 'name' must be a non-empty string")
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TaskError(f"{where}: 'version' must be a positive integer")
    protocol = _choice(raw, "protocol", tuple(PROTOCOLS), "discrete", where)
    default_prompt, default_parser, default_tokens = PROTOCOLS[protocol]
    prompt = _choice(raw, "prompt", KNOWN_PROMPTS, default_prompt, where)
    parser = _choice(raw, "parser", KNOWN_PARSERS, default_parser, where)
    position = _choice(raw, "video_position", ("before", "after"), "before", where)
    if protocol != "discrete" and "video_position" in raw:
        raise TaskError(f"{where}: 'video_position' applies to the discrete protocol only; "
                        f"the {protocol} protocol fixes its own part order")
    if "swap" in raw and (protocol != "preference" or not isinstance(raw["swap"], bool)):
        raise TaskError(f"{where}: 'swap' must be true or false, and only a preference task can have it")
    metrics = tuple(raw.get("metrics", KNOWN_METRIC_GROUPS if protocol == "discrete" else ()))
    for metric in metrics if protocol == "discrete" else ():
        if metric not in KNOWN_METRIC_GROUPS:
            raise TaskError(f"{where}: unknown metric {metric!r}." + did_you_mean(metric, list(KNOWN_METRIC_GROUPS))
                            + f" Known metrics: {', '.join(KNOWN_METRIC_GROUPS)}")
    subset_key = raw.get("subset_key", "subset")
    if not isinstance(subset_key, str) or not subset_key:
        raise TaskError(f"{where}: 'subset_key' must be an item field or metadata column name")
    reference = raw.get("reference")
    return TaskSpec(
        name=raw["name"], version=version, description=str(raw.get("description", "")).strip(),
        source=_source(raw.get("source"), where, base_dir), prompt=prompt, video_position=position,
        frames=_frames(raw.get("frames", {}), where), parser=parser, protocol=protocol,
        generation=_generation(raw.get("generation", {}), default_tokens, where), swap=bool(raw.get("swap", False)),
        invalid_rule=_invalid_rule(raw.get("invalid_rule", {}), where), subset_key=subset_key,
        subset_names=_names(raw, "subset_names", where), subset_aliases=_names(raw, "subset_aliases", where),
        metrics=metrics,
        headline=str(raw.get("headline", DEFAULT_HEADLINES[protocol])),
        success_threshold=_number(raw.get("success_threshold", 5), "success_threshold", where),
        bootstrap=_bootstrap(raw.get("bootstrap", {}), where),
        reference=(base_dir / reference["path"]).resolve() if isinstance(reference, dict) and "path" in reference else None,
        reference_counts=_label_counts(reference, where),
        reference_source=str(reference.get("source", "")) if isinstance(reference, dict) else "",
        require_verified=bool(raw.get("require_verified", False)), path=path,
    )


def _names(raw: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = raw.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TaskError(f"{where}: {key!r} must map subset values to strings")
    return dict(value)


def _label_counts(reference: Any, where: str) -> dict[int, int]:
    """``reference.label_counts``: label → count of the train/dev labels (when the labels are not shipped)."""
    if reference is None:
        return {}
    if not isinstance(reference, dict) or not ({"path", "label_counts"} & set(reference)):
        raise TaskError(f"{where}: 'reference' needs 'path' (a dataset folder) or 'label_counts'")
    counts = reference.get("label_counts", {})
    if not isinstance(counts, dict) or any(k not in (1, 2, 3, 4, 5) or not isinstance(v, int) or v < 0
                                           for k, v in counts.items()):
        raise TaskError(f"{where}: 'reference.label_counts' must map labels 1–5 to non-negative counts")
    return dict(counts)


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise TaskError(f"{where}: unknown {key} {value!r}." + did_you_mean(str(value), list(allowed))
                        + f" Known: {', '.join(allowed)}")
    return value


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TaskError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _positive_int(value: Any, key: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TaskError(f"{where}: {key!r} must be a positive integer, got {value!r}")
    return value


def _source(raw: Any, where: str, base_dir: Path) -> SourceSpec:
    if not isinstance(raw, dict):
        raise TaskError(f"{where}: 'source' must be a mapping with kind local or hf")
    kind = raw.get("kind", "local")
    if kind == "local":
        if not isinstance(raw.get("path"), str):
            raise TaskError(f"{where}: a local source needs 'path'")
        return SourceSpec(kind="local", path=(base_dir / raw["path"]).resolve(), split=str(raw.get("split", "test")))
    if kind == "hf":
        if not isinstance(raw.get("repo"), str) or not isinstance(raw.get("revision"), str):
            raise TaskError(f"{where}: an hf source needs 'repo' and a pinned 'revision'")
        return SourceSpec(kind="hf", repo=raw["repo"], revision=raw["revision"], split=str(raw.get("split", "test")))
    raise TaskError(f"{where}: unknown source kind {kind!r} (use local or hf)")


def _frames(raw: Any, where: str) -> FrameSpec:
    if not isinstance(raw, dict):
        raise TaskError(f"{where}: 'frames' must be a mapping")
    if "whole_video" in raw:
        if raw["whole_video"] is not True or len(raw) > 1:
            raise TaskError(f"{where}: 'frames' is either {{whole_video: true}} alone, or num_frames / fps")
        return FrameSpec(num_frames=None, whole_video=True)
    if "fps" in raw:
        return FrameSpec(num_frames=None, fps=_number(raw["fps"], "frames.fps", where),
                         max_frames=_positive_int(raw.get("max_frames", 32), "frames.max_frames", where))
    return FrameSpec(num_frames=_positive_int(raw.get("num_frames", 16), "frames.num_frames", where))


def _generation(raw: Any, default_tokens: int, where: str) -> GenerationSpec:
    if not isinstance(raw, dict) or set(raw) - {"max_tokens", "temperature"}:
        raise TaskError(f"{where}: 'generation' must be {{max_tokens: N, temperature: T}}")
    temperature = _number(raw.get("temperature", 0.0), "generation.temperature", where)
    if temperature < 0:
        raise TaskError(f"{where}: 'generation.temperature' must be non-negative, got {temperature}")
    return GenerationSpec(max_tokens=_positive_int(raw.get("max_tokens", default_tokens), "generation.max_tokens",
                                                   where), temperature=temperature)


def _invalid_rule(raw: Any, where: str) -> InvalidRule:
    if not isinstance(raw, dict) or raw.get("kind", "penalty") != "penalty":
        raise TaskError(f"{where}: 'invalid_rule' must be {{kind: penalty, abs_error: N}}")
    return InvalidRule(abs_error=_number(raw.get("abs_error", 4.0), "invalid_rule.abs_error", where))


def _bootstrap(raw: Any, where: str) -> BootstrapSpec:
    if not isinstance(raw, dict):
        raise TaskError(f"{where}: 'bootstrap' must be a mapping")
    return BootstrapSpec(resamples=_positive_int(raw.get("resamples", 1000), "bootstrap.resamples", where),
                         seed=int(raw.get("seed", 0)))


def default_spec_for_folder(folder: Path, protocol: str = "discrete") -> TaskSpec:
    """HELM's protocol for a bare dataset folder (``--task PATH``); ``protocol`` comes from its metadata."""
    folder = folder.resolve()
    raw: dict[str, Any] = {"name": f"local:{folder.name}", "description": f"Dataset folder {folder}",
                           "protocol": protocol, "source": {"kind": "local", "path": str(folder)}}
    if protocol != "discrete":  # HELM sends each camera's whole MP4 in these protocols
        raw["frames"] = {"whole_video": True}
    return task_spec_from_dict(raw, where=str(folder), base_dir=folder)


# The label column of a local dataset row names its protocol (see data/local.py and data/local_multi.py).
LABEL_COLUMNS = {"reward": "discrete", "progress": "progress", "preference": "preference"}


def protocol_of_folder(folder: Path) -> str:
    """The protocol of a local dataset, read from the label column of its first metadata row."""
    path = folder / METADATA_FILE
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            found = [LABEL_COLUMNS[k] for k in LABEL_COLUMNS if isinstance(row, dict) and k in row]
            if len(found) != 1:
                raise TaskError(f"{path}:{number}: a row needs exactly one label column: 'reward' (1–5), "
                                f"'progress' (0–100) or 'preference' (A, B or tie)")
            return found[0]
    raise TaskError(f"{path}: no items")
