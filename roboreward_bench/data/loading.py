"""A task's items: resolve the spec, find its data, load and fingerprint it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from roboreward_bench.data.items import Item
from roboreward_bench.data.local import METADATA_FILE, load_local_dataset
from roboreward_bench.data.local_multi import swapped
from roboreward_bench.data.subsets import canonical_subsets
from roboreward_bench.errors import DataError
from roboreward_bench.data.manifest import MANIFEST_FILE
from roboreward_bench.tasks.registry import resolve_spec
from roboreward_bench.tasks.spec import TaskSpec



@dataclass(frozen=True)
class LoadedTask:
    """A spec with its items, data folder and fingerprint.

    ``fingerprint`` is a SHA-256 over the canonical spec and the item manifest
    (``metadata.jsonl`` plus ``SHA256SUMS`` where the data ships one, else
    plus every video's size), so any change to labels, videos or protocol changes it.
    """

    spec: TaskSpec
    items: tuple[Item, ...]
    data_root: Path
    fingerprint: str
    missing_videos: tuple[str, ...] = ()
    data_revision: str | None = None
    notes: dict[str, str] = field(default_factory=dict)


def load_task(text: str, data_dir: Path | None = None) -> LoadedTask:
    """Resolve ``text`` and load its items; ``data_dir`` overrides where the data lives."""
    return load_spec_items(resolve_spec(text), data_dir)


def load_spec_items(spec: TaskSpec, data_dir: Path | None = None) -> LoadedTask:
    """Load the items of ``spec`` from its source (or from ``data_dir``)."""
    revision = None
    if data_dir is not None:
        from roboreward_bench.data.hub import split_folder

        root = split_folder(Path(data_dir), spec.source.split) or Path(data_dir)
    elif spec.source.kind == "local":
        root = spec.source.path
    else:
        from roboreward_bench.data.hub import locate_snapshot

        root, revision = locate_snapshot(spec.source, spec.name)
    dataset = load_local_dataset(root, default_split=spec.source.split)
    if dataset.protocol != spec.protocol:
        raise DataError(f"{root / METADATA_FILE}: holds {dataset.protocol} items, but task {spec.name!r} "
                        f"runs the {spec.protocol} protocol")
    items, fingerprint = dataset.items, task_fingerprint(spec, root, dataset.items)
    notes: dict[str, str] = {}
    if spec.subset_names and spec.subset_key == "subset":
        items, unmatched = canonical_subsets(items, spec.subset_names, spec.subset_aliases)
        if unmatched:
            notes["unmatched_subsets"] = ", ".join(unmatched)
    if spec.swap:  # every pair is also asked in B/A order (order consistency)
        items = tuple(item for pair in items for item in (pair, swapped(pair)))
    if spec.require_verified:  # score only items a reviewer accepted in reviews.jsonl (rrbench review)
        from roboreward_bench.data.reviews import accepted_only

        items, fingerprint = accepted_only(root, items, fingerprint)
    kept = {item.item_id for item in items}
    return LoadedTask(spec=spec, items=items, data_root=root, fingerprint=fingerprint,
                      missing_videos=tuple(i for i in dataset.missing_videos if i in kept), data_revision=revision,
                      notes=notes)


def task_fingerprint(spec: TaskSpec, root: Path, items: tuple[Item, ...]) -> str:
    """SHA-256 over the canonical spec and the data manifest."""
    digest = hashlib.sha256(json.dumps(spec.canonical(), sort_keys=True).encode())
    digest.update((root / METADATA_FILE).read_bytes())
    manifest = root / MANIFEST_FILE
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    else:
        for item in items:
            for file_name, path in [(v.file_name, v.path) for v in item.videos] or [(item.file_name, item.video_path)]:
                size = path.stat().st_size if path.is_file() else -1
                digest.update(f"{file_name}\0{size}\n".encode())
    return digest.hexdigest()
