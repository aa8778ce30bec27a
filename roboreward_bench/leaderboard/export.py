"""``rrbench leaderboard export``: the per-item "details" dataset behind the leaderboard.

One Parquet file per task holds every verified row's scored items: which
item, which submission and model, the gold label, the model's raw text, the
parsed value, whether it was valid, the error (if no answer was obtained),
the subset and item kind, why an answer was invalid, and the absolute
error the task's rule scores it with. Anyone can
load it with ``datasets.load_dataset("parquet", data_files=...)`` or
``pandas.read_parquet`` and re-analyse the board. Needs pyarrow (the
``export`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.rows import scored_rows
from roboreward_bench.evaluation.scoring import metric_options
from roboreward_bench.leaderboard.board import TaskBoard
from roboreward_bench.leaderboard.catalog import TaskCatalog
from roboreward_bench.leaderboard.safety import PREDICTIONS_FILE
from roboreward_bench.metrics.regression import abs_errors
from roboreward_bench.results.predictions import read_predictions

COLUMNS = ("task", "task_version", "submission", "model", "organisation", "item_id", "subset", "kind", "gold",
           "raw_text", "parsed", "valid", "invalid_reason", "error", "abs_error")


def _schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    return pa.schema([("task", text), ("task_version", pa.int32()), ("submission", text), ("model", text),
                      ("organisation", text), ("item_id", text), ("subset", text), ("kind", text),
                      ("gold", pa.int8()), ("raw_text", text), ("parsed", pa.float64()), ("valid", pa.bool_()),
                      ("invalid_reason", text), ("error", text), ("abs_error", pa.float64())])


def board_columns(board: TaskBoard, root: Path, catalog: TaskCatalog) -> dict[str, list[Any]]:
    """The task's details as columns, submission after submission, items in task order.

    The rows are the validator's own scored rows (:func:`scored_rows` of the
    already validated predictions), so the export says exactly what was scored.
    """
    task = catalog.load(board.name)
    penalty = metric_options(task.spec).invalid_abs_error
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for row in board.rows:
        if row.reported:
            continue
        records = read_predictions(root / board.name / row.slug / PREDICTIONS_FILE)
        scored = scored_rows(task.spec, task.items, records, reparse=False)
        n = len(scored)
        gold = np.array([r.gold for r in scored])
        valid = np.array([r.valid for r in scored], dtype=bool)
        parsed = np.array([np.nan if r.parsed is None else r.parsed for r in scored], dtype=float)
        columns["task"] += [board.name] * n
        columns["task_version"] += [board.spec.version] * n
        columns["submission"] += [row.slug] * n
        columns["model"] += [row.meta.model.name] * n
        columns["organisation"] += [row.meta.model.organisation] * n
        for name in ("item_id", "subset", "kind", "gold", "raw_text", "parsed", "invalid_reason", "error"):
            columns[name] += [getattr(r, name) for r in scored]
        columns["valid"] += valid.tolist()
        columns["abs_error"] += abs_errors(gold, parsed, valid, penalty).astype(float).tolist()
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
