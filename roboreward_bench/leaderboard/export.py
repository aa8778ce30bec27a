"""``rrbench leaderboard export``: the per-item "details" dataset behind the leaderboard.

One Parquet file per task holds every verified row's scored items: which
item, which submission and model, the gold label, the model's raw text, the
parsed value, whether it was valid, the error (if no answer was obtained),
the subset, and the absolute error the task's rule scores it with. Anyone can
load it with ``datasets.load_dataset("parquet", data_files=...)`` or
``pandas.read_parquet`` and re-analyse the board. Needs pyarrow (the
``export`` extra).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.scoring import metric_options, subset_of
from roboreward_bench.leaderboard.board import TaskBoard
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.safety import PREDICTIONS_FILE
from roboreward_bench.metrics.regression import abs_errors

COLUMNS = ("task", "task_version", "submission", "model", "organisation", "item_id", "subset", "gold",
           "raw_text", "parsed", "valid", "error", "abs_error")


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([("task", pa.string()), ("task_version", pa.int32()), ("submission", pa.string()),
                      ("model", pa.string()), ("organisation", pa.string()), ("item_id", pa.string()),
                      ("subset", pa.string()), ("gold", pa.int8()), ("raw_text", pa.string()),
                      ("parsed", pa.float64()), ("valid", pa.bool_()), ("error", pa.string()),
                      ("abs_error", pa.float64())])


def _answers(path: Path) -> dict[str, dict[str, Any]]:
    """item_id → its line of an already validated predictions.jsonl."""
    out = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                out[row["item_id"]] = row
    return out


def board_columns(board: TaskBoard, root: Path, catalog: TaskCatalog) -> dict[str, list[Any]]:
    """The task's details as columns, submission after submission, items in task order."""
    task = catalog.load(board.name)
    items = task.items
    ids = [item.item_id for item in items]
    subsets = [subset_of(item, task.spec.subset_key) for item in items]
    gold = np.array([item.label for item in items], dtype=int)
    penalty = metric_options(task.spec).invalid_abs_error
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for row in board.rows:
        if row.reported:
            continue
        answers = _answers(root / board.name / row.slug / PREDICTIONS_FILE)
        ordered = [answers[i] for i in ids]
        valid = np.array([bool(a.get("valid")) and a.get("error") is None for a in ordered])
        parsed = np.array([a["parsed"] if ok else np.nan for a, ok in zip(ordered, valid)], dtype=float)
        errors = abs_errors(gold, parsed, valid & np.isfinite(parsed), penalty)
        n = len(ids)
        columns["task"] += [board.name] * n
        columns["task_version"] += [board.spec.version] * n
        columns["submission"] += [row.slug] * n
        columns["model"] += [row.meta.model.name] * n
        columns["organisation"] += [row.meta.model.organisation] * n
        columns["item_id"] += ids
        columns["subset"] += subsets
        columns["gold"] += gold.tolist()
        columns["raw_text"] += [a.get("raw_text") for a in ordered]
        columns["parsed"] += [None if not ok else float(p) for p, ok in zip(parsed, valid)]
        columns["valid"] += valid.tolist()
        columns["error"] += [a.get("error") for a in ordered]
        columns["abs_error"] += errors.astype(float).tolist()
    return columns


def export_details(boards: list[TaskBoard], root: Path, out: Path,
                   catalog: TaskCatalog | None = None) -> list[tuple[Path, int]]:
    """Write ``out/<task>.parquet`` for each board with verified rows; returns (file, row count) pairs."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RRBenchError("leaderboard export needs pyarrow: pip install 'rrbench[export]'") from exc
    catalog = catalog or TaskCatalog()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for board in boards:
        if not any(not row.reported for row in board.rows):
            continue
        table = pa.Table.from_pydict(board_columns(board, root, catalog), schema=_schema())
        path = out / f"{board.name}.parquet"
        pq.write_table(table, path)
        written.append((path, table.num_rows))
    return written
