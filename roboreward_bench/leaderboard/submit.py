"""``rrbench submit``: turn a finished run folder into a submission folder.

Everything the run knows (task name, version and fingerprint, model spec and
fingerprint, frames, prompt, seed, non-standard deviations) comes from its
``results.json``; the submitter adds who and what the model is. The
predictions file is copied byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from roboreward_bench.errors import RRBenchError
from roboreward_bench.leaderboard.safety import PREDICTIONS_FILE, RESULTS_FILE, SUBMISSION_FILE
from roboreward_bench.leaderboard.schema import SCHEMA_VERSION, parse_submission
from roboreward_bench.results.schema import load_results

from roboreward_bench.leaderboard.board import RULE_BACKENDS as RULE_BASELINES


@dataclass(frozen=True)
class SubmitOptions:
    """What the submitter says about the model (the run says the rest)."""

    organisation: str
    name: str
    weights: str | None = None
    parameters_b: float | None = None
    link: str | None = None
    contact: str = ""
    public_contact: bool = False  # show the contact on the model page (default: maintainers only)
    paper: str | None = None
    bibtex: str | None = None
    notes: str | None = None
    on: str | None = None  # submission date, default today


def slug(text: str) -> str:
    """A folder-safe form of a name: letters, digits, '.', '_' and '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:64]
    return cleaned or "x"


def submission_folder(root: Path, task: str, organisation: str, name: str) -> Path:
    return root / task / f"{slug(organisation)}__{slug(name)}"


def metadata_from_run(run_dir: Path, options: SubmitOptions) -> dict[str, Any]:
    """The submission.yaml mapping for a run; raises one line for runs that cannot be submitted."""
    results = load_results(run_dir / RESULTS_FILE)
    if results.task.name.startswith("local:"):
        raise RRBenchError(f"{run_dir}: the run used a bare dataset folder ({results.task.name}); only "
                           "registered tasks can be submitted")
    partial = [k for k in ("limit", "shard") if k in results.notes]
    if partial:
        raise RRBenchError(f"{run_dir}: the run covered only part of the task ({', '.join(partial)}); "
                           "submit a complete run (merge shards with 'rrbench merge')")
    backend = results.model.resolved.split(":", 1)[0]
    weights = options.weights or ("open" if backend in RULE_BASELINES else None)
    if weights is None:
        raise RRBenchError("say whether the model's weights are open or closed: --weights open|closed")
    parameters = options.parameters_b
    if parameters is None and backend in RULE_BASELINES:
        parameters = 0.0
    model = {"name": options.name, "organisation": options.organisation, "link": options.link,
             "parameters_b": parameters, "weights": weights, "backend": backend,
             "spec": results.model.spec, "fingerprint": results.model.fingerprint}
    return {
        "schema_version": SCHEMA_VERSION, "kind": "verified", "task": results.task.name,
        "task_version": results.task.version, "task_fingerprint": results.task.fingerprint,
        "model": {k: v for k, v in model.items() if v is not None},
        "prompt_version": results.prompt_version,
        "frames": {k: v for k, v in results.frames.items() if v is not None},
        "seed": results.seed, "non_standard": results.non_standard, "deviations": list(results.deviations),
        "date": options.on or date.today().isoformat(), "contact": options.contact,
        **({"public_contact": True} if options.public_contact else {}),
        **{k: v for k, v in (("paper", options.paper), ("bibtex", options.bibtex), ("notes", options.notes)) if v},
    }


def write_submission(run_dir: Path, root: Path, options: SubmitOptions, force: bool = False) -> Path:
    """Create ``root/<task>/<org>__<model>/`` from ``run_dir``; returns the folder."""
    if not (run_dir / PREDICTIONS_FILE).is_file():
        raise RRBenchError(f"{run_dir}: no {PREDICTIONS_FILE}; pass the folder 'rrbench eval' wrote")
    meta = metadata_from_run(run_dir, options)
    _, problems = parse_submission(meta, SUBMISSION_FILE)
    if problems:
        raise RRBenchError(problems[0].replace(f"{SUBMISSION_FILE}: ", "", 1))
    folder = submission_folder(root, meta["task"], options.organisation, options.name)
    if folder.exists():
        if not force:
            raise RRBenchError(f"{folder}: already exists; to resubmit this model, pass --force to replace its "
                               "folder (its row is replaced; git keeps the old version)")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    header = ("# rrbench submission: see submissions/README.md. The numbers shown on the leaderboard are\n"
              "# recomputed from predictions.jsonl; nothing here is trusted as a score.\n")
    (folder / SUBMISSION_FILE).write_text(header + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True),
                                          encoding="utf-8")
    _copy_redacted(run_dir, folder)
    return folder


def _copy_redacted(run_dir: Path, folder: Path) -> None:
    """Copy predictions and results, masking any secret an older rrbench may have written into them."""
    from roboreward_bench.models.redaction import redact, redact_data

    with open(run_dir / PREDICTIONS_FILE, encoding="utf-8") as source, \
            open(folder / PREDICTIONS_FILE, "w", encoding="utf-8") as target:
        for line in source:
            row = json.loads(line) if line.strip() else None
            if isinstance(row, dict) and any(isinstance(row.get(k), str) for k in ("error", "refusal")):
                row.update({k: redact(row[k]) for k in ("error", "refusal") if isinstance(row.get(k), str)})
                line = json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"
            target.write(line)
    results = json.loads((run_dir / RESULTS_FILE).read_text(encoding="utf-8"))
    if isinstance(results, dict):
        results = {**redact_data(results, by_name=False),
                   **({"model": redact_data(results["model"])} if "model" in results else {})}
    (folder / RESULTS_FILE).write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
