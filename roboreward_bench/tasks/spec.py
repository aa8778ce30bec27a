"""Frozen, typed task specs loaded from YAML.

A task file looks like this (every key but ``name`` and ``source`` has a
default, which is the RoboReward protocol)::

    name: rrb-sim
    version: 1
    description: Held-out Meta-World episodes with simulator-derived labels.
    source: {kind: local, path: rrb_sim/test}          # relative to the YAML file
    # source: {kind: hf, repo: teetone/RoboReward, revision: <sha>, split: test}
    prompt: roboreward-v1
    video_position: before                            # video, then text
    frames: {num_frames: 16}                          # or {fps: 2, max_frames: 32}
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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from roboreward_bench.errors import TaskError, did_you_mean

# A local source is a folder holding this file (the local dataset format, see data/local.py).
METADATA_FILE = "metadata.jsonl"
KNOWN_METRIC_GROUPS = ("regression", "ordinal", "pairwise", "success", "voc", "best_of_n")
KNOWN_PROMPTS = ("roboreward-v1",)
KNOWN_PARSERS = ("helm",)


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

    def describe(self) -> dict[str, Any]:
        return {"num_frames": self.num_frames, "fps": self.fps, "max_frames": self.max_frames}


@dataclass(frozen=True)
class InvalidRule:
    """How an invalid or errored answer is scored: ``penalty`` with a fixed absolute error."""

    kind: str = "penalty"
    abs_error: float = 4.0


@dataclass(frozen=True)
class BootstrapSpec:
    """Bootstrap settings; ``cluster`` is the item column resampled as one unit (items sharing an
    initial state or a source video are not independent)."""

    resamples: int = 1000
    seed: int = 0
    cluster: str = "episode_id"


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
    invalid_rule: InvalidRule = InvalidRule()
    subset_key: str = "subset"
    subset_names: Mapping[str, str] = field(default_factory=dict, hash=False)
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
        }


_TOP_KEYS = {"name", "version", "description", "source", "prompt", "video_position", "frames", "parser",
             "invalid_rule", "subset_key", "subset_names", "metrics", "headline", "success_threshold",
             "bootstrap", "reference", "require_verified"}


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
    prompt = _choice(raw, "prompt", KNOWN_PROMPTS, "roboreward-v1", where)
    parser = _choice(raw, "parser", KNOWN_PARSERS, "helm", where)
    position = _choice(raw, "video_position", ("before", "after"), "before", where)
    metrics = tuple(raw.get("metrics", KNOWN_METRIC_GROUPS))
    for metric in metrics:
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
        frames=_frames(raw.get("frames", {}), where), parser=parser,
        invalid_rule=_invalid_rule(raw.get("invalid_rule", {}), where), subset_key=subset_key,
        subset_names=dict(raw.get("subset_names") or {}), metrics=metrics,
        headline=str(raw.get("headline", "mae_macro")),
        success_threshold=_number(raw.get("success_threshold", 5), "success_threshold", where),
        bootstrap=_bootstrap(raw.get("bootstrap", {}), where),
        reference=(base_dir / reference["path"]).resolve() if isinstance(reference, dict) and "path" in reference else None,
        reference_counts=_label_counts(reference, where),
        reference_source=str(reference.get("source", "")) if isinstance(reference, dict) else "",
        require_verified=bool(raw.get("require_verified", False)), path=path,
    )


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
    if "fps" in raw:
        return FrameSpec(num_frames=None, fps=_number(raw["fps"], "frames.fps", where),
                         max_frames=_positive_int(raw.get("max_frames", 32), "frames.max_frames", where))
    return FrameSpec(num_frames=_positive_int(raw.get("num_frames", 16), "frames.num_frames", where))


def _invalid_rule(raw: Any, where: str) -> InvalidRule:
    if not isinstance(raw, dict) or raw.get("kind", "penalty") != "penalty":
        raise TaskError(f"{where}: 'invalid_rule' must be {{kind: penalty, abs_error: N}}")
    return InvalidRule(abs_error=_number(raw.get("abs_error", 4.0), "invalid_rule.abs_error", where))


def _bootstrap(raw: Any, where: str) -> BootstrapSpec:
    if not isinstance(raw, dict):
        raise TaskError(f"{where}: 'bootstrap' must be a mapping")
    unknown = sorted(set(raw) - {"resamples", "seed", "cluster"})
    if unknown:
        raise TaskError(f"{where}: unknown key 'bootstrap.{unknown[0]}' (known: resamples, seed, cluster)")
    cluster = raw.get("cluster", "episode_id")
    if not isinstance(cluster, str) or not cluster:
        raise TaskError(f"{where}: 'bootstrap.cluster' must be an item column name, got {cluster!r}")
    return BootstrapSpec(resamples=_positive_int(raw.get("resamples", 1000), "bootstrap.resamples", where),
                         seed=int(raw.get("seed", 0)), cluster=cluster)


def default_spec_for_folder(folder: Path) -> TaskSpec:
    """The RoboReward protocol applied to a bare dataset folder (``--task PATH``)."""
    folder = folder.resolve()
    return TaskSpec(name=f"local:{folder.name}", source=SourceSpec(kind="local", path=folder),
                    description=f"Dataset folder {folder}")
