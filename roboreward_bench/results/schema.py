"""``results.json``: the versioned, self-documenting results schema.

Every field carries its documentation in ``metadata["doc"]``;
``rrbench show --schema`` prints it. Bump :data:`SCHEMA_VERSION` on any
incompatible change, and keep :func:`load_results` reading older versions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from roboreward_bench.errors import PredictionsError
from roboreward_bench.metrics.types import MetricReport

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class TaskInfo:
    name: str = _doc("registered task name (or local:<folder>)")
    version: int = _doc("task version; labels or protocol changes bump it")
    fingerprint: str = _doc("SHA-256 over the canonical spec and the item manifest")
    data_revision: str | None = _doc("resolved dataset commit SHA for hub datasets", default=None)
    spec: dict[str, Any] = _doc("the canonical task spec", default_factory=dict)


@dataclass(frozen=True)
class ModelInfo:
    spec: str = _doc("the --model value as given (alias or backend:argument)")
    resolved: str = _doc("backend:argument after alias resolution")
    fingerprint: str = _doc("model name + revision/weights + generation settings")
    args: dict[str, Any] = _doc("--model-args after alias defaults (secrets are never stored)", default_factory=dict)
    details: dict[str, Any] = _doc("what the backend reports: resolved revision, dtype, token usage …",
                                   default_factory=dict)


@dataclass(frozen=True)
class Counts:
    items: int = _doc("items scored")
    invalid: int = _doc("items scored with the task's penalty: invalid answers plus errored items")
    errors: int = _doc("items with no answer at all: request failed, timed out, video unreadable (retried on re-run)")
    episodes: int = _doc("distinct videos (episodes)", default=0)
    subsets: int = _doc("macro-averaging subsets", default=0)
    invalid_reasons: dict[str, int] = _doc("invalid answers by reason: empty, refused, truncated, no_number "
                                           "(an answer, not an error)", default_factory=dict)


@dataclass(frozen=True)
class RunResults:
    """One evaluation run: what ran, on what, and every metric with its CI."""

    task: TaskInfo = _doc("the task evaluated")
    model: ModelInfo = _doc("the model evaluated")
    frames: dict[str, Any] = _doc("frames: mode (whole_video: the file was sent, or sampled), the spec "
                                  "(num_frames or fps/max_frames), and frames_used (per-video counts reported)")
    prompt_version: str = _doc("rubric prompt id, e.g. roboreward-v1")
    seed: int = _doc("run seed (baselines, bootstrap)")
    counts: Counts = _doc("item, invalid and error counts")
    metrics: dict[str, dict[str, float | None]] = _doc("metric → {value, ci_low, ci_high} (95% cluster bootstrap; `rrbench metrics` lists them)")
    per_subset: dict[str, dict[str, float | None]] = _doc("subset → metric → value")
    headline: str = _doc("the task's headline metric name")
    headline_direction: str = _doc("'lower' or 'higher': which way the headline metric is better",
                                   default="lower")
    non_standard: bool = _doc("true when settings differ from the task's defaults", default=False)
    deviations: list[str] = _doc("each setting that differs from the task's defaults", default_factory=list)
    notes: dict[str, Any] = _doc("side facts: excluded counts, best-of-N context, shard", default_factory=dict)
    tool_version: str = _doc("rrbench version", default="")
    git_commit: str | None = _doc("rrbench git commit, when run from a checkout", default=None)
    started_at: str = _doc("UTC ISO-8601 start time", default="")
    finished_at: str = _doc("UTC ISO-8601 end time", default="")
    schema_version: int = _doc("version of this schema", default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        """Write atomically (temp file + rename), so a crash never leaves half a file; secrets are masked."""
        from roboreward_bench.models.redaction import redact_data

        tmp = path.with_suffix(".json.tmp")
        data = self.to_dict()  # model settings are masked by name too; rrbench's own fields only as text
        data = {**redact_data(data, by_name=False), "model": redact_data(data["model"])}
        tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        tmp.replace(path)


def metrics_dict(report: MetricReport) -> dict[str, dict[str, float | None]]:
    """Flatten a report's overall values for results.json."""
    return {name: {"value": v.value, "ci_low": v.ci_low, "ci_high": v.ci_high} for name, v in report.overall.items()}


def load_results(path: Path | str) -> RunResults:
    """Read a results.json, with a one-line error for anything malformed."""
    path = Path(path)
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise PredictionsError(f"{path}: no such results file") from None
    except IsADirectoryError:
        raise PredictionsError(f"{path}: is a folder, not a results file") from None
    except UnicodeDecodeError as exc:
        raise PredictionsError(f"{path}: not UTF-8 text (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise PredictionsError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        raise PredictionsError(f"{path}: not an rrbench results file of schema version {SCHEMA_VERSION}")
    try:
        return RunResults(
            task=TaskInfo(**raw["task"]), model=ModelInfo(**raw["model"]), counts=Counts(**raw["counts"]),
            **{k: v for k, v in raw.items() if k not in ("task", "model", "counts")},
        )
    except (KeyError, TypeError) as exc:
        raise PredictionsError(f"{path}: malformed results ({exc})") from None


def schema_doc(cls: type = RunResults, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, doc) pairs for every field, nested dataclasses expanded, every catalogue metric listed."""
    rows = []
    for f in fields(cls):
        rows.append((prefix + f.name, f.metadata.get("doc", "")))
        if cls is RunResults and f.name == "metrics":
            rows.extend(_metric_docs())
        if isinstance(f.type, str) and f.type in ("TaskInfo", "ModelInfo", "Counts"):
            rows.extend(schema_doc(globals()[f.type], prefix + f.name + "."))
        elif is_dataclass(f.type):
            rows.extend(schema_doc(f.type, prefix + f.name + "."))
    return rows


def _metric_docs() -> list[tuple[str, str]]:
    from roboreward_bench.metrics.catalogue import catalogue

    return [(f"metrics.{m.name}", f"{m.label}: {m.doc.splitlines()[0] if m.doc else ''} ({m.direction} is better"
             + ("" if m.ci else "; no CI") + ")") for m in catalogue()]
