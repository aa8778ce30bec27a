"""A content-addressed cache of re-scoring outcomes, so validate-then-build scores once.

The key is a SHA-256 over everything the outcome depends on: this cache's
format, rrbench's version and the source of every module on the scoring
path, the task's fingerprint and canonical spec, and the exact bytes of the
submission's files. Same key, same outcome, so a hit is as good as
re-scoring. Only submissions that passed are stored, as JSON (never pickle),
under ``$RRBENCH_CACHE_DIR/leaderboard`` or ``~/.cache/rrbench/leaderboard``.
A corrupt entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from roboreward_bench import __version__
from roboreward_bench.leaderboard.charts import ChartData
from roboreward_bench.metrics.types import MetricReport, MetricValue
from roboreward_bench.data.loading import LoadedTask

CACHE_FORMAT = 2
# Modules whose code decides a verdict or a number: editing one invalidates every entry.
_SCORING_CODE = {
    "roboreward_bench": ("parsing.py", "plugins.py", "registry.py", "rubric.py"),
    "roboreward_bench.metrics": None,  # every module
    "roboreward_bench.evaluation": ("rows.py", "scoring.py"),
    "roboreward_bench.data": ("items.py", "local.py"),
    "roboreward_bench.tasks": ("registry.py", "spec.py"),
    "roboreward_bench.results": ("predictions.py",),
    "roboreward_bench.leaderboard": ("checks.py", "validate.py", "schema.py", "safety.py", "charts.py",
                                     "rescore_cache.py", "uncertainty.py", "metric_facts.py", "duplicates.py"),
}


def default_cache_dir() -> Path:
    root = os.environ.get("RRBENCH_CACHE_DIR") or Path.home() / ".cache" / "rrbench"
    return Path(root) / "leaderboard"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the source of the scoring path (and the version)."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{__version__}\0".encode())
    for package, names in sorted(_SCORING_CODE.items()):
        folder = resources.files(package)
        chosen = names or sorted(p.name for p in folder.iterdir() if p.name.endswith(".py"))
        for name in chosen:
            digest.update(f"{package}/{name}\0".encode())
            digest.update(folder.joinpath(name).read_bytes())
    return digest.hexdigest()


def cache_key(task: LoadedTask, files: Mapping[str, bytes]) -> str:
    """The key of one submission's outcome against one task."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(task.fingerprint.encode())
    digest.update(json.dumps(task.spec.canonical(), sort_keys=True).encode())
    for name in sorted(files):
        digest.update(f"\0{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return digest.hexdigest()


@dataclass(frozen=True)
class Rescored:
    """A passed submission's re-scored metrics and chart arrays."""

    report: MetricReport
    charts: ChartData
    draws: np.ndarray | None = None  # the headline over the task's bootstrap resamples (rank groups)
    digest: str | None = None  # what the predictions answer, for refusing duplicates


def _report_to_json(report: MetricReport) -> dict[str, Any]:
    return {"overall": {k: [v.value, v.ci_low, v.ci_high] for k, v in report.overall.items()},
            "per_subset": report.per_subset, "counts": report.counts, "notes": report.notes}


def _report_from_json(data: Mapping[str, Any]) -> MetricReport:
    return MetricReport(overall={k: MetricValue(*v) for k, v in data["overall"].items()},
                        per_subset=data["per_subset"], counts=data["counts"], notes=data["notes"])


@dataclass(frozen=True)
class RescoreCache:
    """Entries as ``<key[:2]>/<key>.json`` under ``directory``."""

    directory: Path

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Rescored | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            draws = data.get("draws")
            return Rescored(_report_from_json(data["report"]), ChartData.from_json(data["charts"]),
                            None if draws is None else np.array([np.nan if v is None else v for v in draws]),
                            data.get("digest"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, rescored: Rescored) -> None:
        """Store atomically (temp file + rename); a cache that cannot be written is skipped silently."""
        path = self._path(key)
        draws = None if rescored.draws is None else [v if np.isfinite(v) else None for v in rescored.draws.tolist()]
        payload = {"key": key, "report": _report_to_json(rescored.report), "charts": rescored.charts.to_json(),
                   "draws": draws, "digest": rescored.digest}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(payload, allow_nan=False), encoding="utf-8")
            temporary.replace(path)
        except (OSError, ValueError):
            pass
