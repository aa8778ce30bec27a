"""A task's items as a Hugging Face ``datasets`` dataset on disk, with a dataset card.

``export_hf(loaded, out)`` writes ``out`` so that
``datasets.load_from_disk(out)[split]`` gives one row per item:

- the item's own fields: ``item_id``, ``instruction``, ``label``,
  ``frame_labels``, ``clip_end``, ``kind``, ``subset``, ``split``,
  ``episode_id``, ``group_id``, ``file_name``;
- the video: ``video_path``, a path inside ``out`` (videos are copied under
  ``videos/``), or with ``videos="bytes"`` the MP4 itself in ``video_bytes``;
- every metadata column of ``metadata.jsonl`` (for rrb-sim the generator
  facts: task, seed, camera, policy, fps, generator version, …), whatever the
  columns are. A column whose values Arrow cannot hold in one type (say,
  numbers in some rows and text in others) is stored as JSON text.

The card (``README.md``, :mod:`roboreward_bench.data.dataset_card`) has the
tables of ``rrbench data stats``, the rubric, license and citation, and a
``configs`` header so ``load_dataset`` on the uploaded repo finds the splits.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roboreward_bench.data.items import Item
from roboreward_bench.data.loading import LoadedTask
from roboreward_bench.errors import DataError

VIDEO_MODES = ("path", "bytes")
VIDEO_DIR = "videos"
_ITEM_COLUMNS = ("item_id", "instruction", "label", "frame_labels", "clip_end", "kind", "subset", "split",
                 "episode_id", "group_id", "file_name")


@dataclass(frozen=True)
class ExportReport:
    """What was written: folder, rows per split, JSON-encoded columns, seconds."""

    out: Path
    rows: dict[str, int]
    json_columns: tuple[str, ...]
    seconds: float


def item_columns(items: tuple[Item, ...]) -> dict[str, list[Any]]:
    """Column name → values, from the items' fields and every metadata key any item has."""
    columns: dict[str, list[Any]] = {name: [] for name in _ITEM_COLUMNS}
    for item in items:
        for name in _ITEM_COLUMNS:
            value = item.instruction if name == "instruction" else getattr(item, name)
            columns[name].append(list(value) if name == "frame_labels" and value is not None else value)
    keys = sorted({key for item in items for key in item.metadata})
    for key in keys:
        name = key if key not in columns and key not in ("video_path", "video_bytes") else f"metadata_{key}"
        columns[name] = [item.metadata.get(key) for item in items]
    return columns


def arrow_ready(columns: dict[str, list[Any]]) -> tuple[dict[str, list[Any]], tuple[str, ...]]:
    """Columns Arrow can type as they are, others turned into JSON text; returns the names so turned."""
    import pyarrow as pa

    out, encoded = {}, []
    for name, values in columns.items():
        try:
            pa.array(values)
            out[name] = values
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            out[name] = [None if v is None else json.dumps(v, sort_keys=True) for v in values]
            encoded.append(name)
    return out, tuple(encoded)


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise DataError(f"{out}: exists and is not empty; choose another --out or pass --overwrite")
        if not (out / "dataset_dict.json").is_file():
            raise DataError(f"{out}: --overwrite only replaces an earlier export (no dataset_dict.json there)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _videos(items: tuple[Item, ...], out: Path, mode: str) -> tuple[str, list[Any]]:
    """The video column: paths inside ``out`` (files copied once each) or the bytes."""
    missing = sorted({item.file_name for item in items if not item.video_path.is_file()})
    if missing:
        raise DataError(f"cannot export: {len(missing)} video(s) missing, e.g. {missing[0]}")
    if mode == "bytes":
        data: dict[Path, bytes] = {}
        return "video_bytes", [data.setdefault(i.video_path, i.video_path.read_bytes()) for i in items]
    for file_name, source in {item.file_name: item.video_path for item in items}.items():
        target = out / VIDEO_DIR / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return "video_path", [f"{VIDEO_DIR}/{item.file_name}" for item in items]


def export_hf(loaded: LoadedTask, out: Path, videos: str = "path", overwrite: bool = False) -> ExportReport:
    """Write ``loaded``'s items as a ``datasets.DatasetDict`` (one split per item split) plus card to ``out``."""
    import datasets

    from roboreward_bench.data.dataset_card import copy_rubric, write_card

    if videos not in VIDEO_MODES:
        raise DataError(f"--videos must be one of {', '.join(VIDEO_MODES)}, got {videos!r}")
    started = time.perf_counter()
    out = Path(out)
    _prepare_out(out, overwrite)
    items = loaded.items
    columns = item_columns(items)
    video_column, video_values = _videos(items, out, videos)
    columns = {"item_id": columns.pop("item_id"), video_column: video_values, **columns}
    columns, encoded = arrow_ready(columns)
    table = datasets.Dataset.from_dict(columns, info=_info(loaded))
    splits = {}
    for split in dict.fromkeys(columns["split"]):
        rows = [i for i, value in enumerate(columns["split"]) if value == split]
        splits[split] = table.select(rows) if len(rows) != len(items) else table
    dataset = datasets.DatasetDict(splits)
    dataset.save_to_disk(str(out))
    rubric = copy_rubric(loaded, out)
    write_card(loaded, out, {name: len(part) for name, part in splits.items()}, video_column, encoded, rubric)
    return ExportReport(out, {name: len(part) for name, part in splits.items()}, encoded,
                        time.perf_counter() - started)


def _info(loaded: LoadedTask):
    import datasets

    from roboreward_bench import __version__

    spec = loaded.spec
    return datasets.DatasetInfo(
        description=f"{spec.name} v{spec.version} exported by rrbench {__version__} "
                    f"(task fingerprint {loaded.fingerprint}). {spec.description or ''}".strip(),
        license="apache-2.0")
