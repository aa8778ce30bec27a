"""Real small MP4s and dataset folders for tests, written with PyAV.

Frame ``i`` of a fixture video is a flat grey of level ``level_of(i)``, so a
test can read back from decoded pixels which frames the sampler returned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import av
import numpy as np

LEVEL_STEP = 3


def level_of(index: int) -> int:
    """Grey level of frame ``index`` (distinct for indices < 80)."""
    return 8 + LEVEL_STEP * index


def index_of(frame: np.ndarray) -> int:
    """Recover a fixture frame's index from its mean grey level."""
    return int(round((float(frame.mean()) - 8) / LEVEL_STEP))


def write_mp4(path: Path, num_frames: int = 24, size: int = 64, fps: int = 10) -> Path:
    """Write an H.264 MP4 whose frames encode their own index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10", "preset": "ultrafast"}
        for index in range(num_frames):
            pixels = np.full((size, size, 3), level_of(index), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_dataset(root: Path, rows: Iterable[dict], videos: dict[str, int] | None = None) -> Path:
    """Write ``metadata.jsonl`` and an MP4 (of the given frame count) per distinct file_name."""
    rows = list(rows)
    root.mkdir(parents=True, exist_ok=True)
    lengths = videos or {}
    for name in sorted({row["file_name"] for row in rows}):
        write_mp4(root / name, num_frames=lengths.get(name, 24))
    (root / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root


def small_benchmark_rows(num_videos: int = 8, subsets: tuple[str, ...] = ("alpha", "beta", "gamma")) -> list[dict]:
    """Rows in the local format: full videos plus clips and augmented names, over several subsets."""
    rows = []
    rng = np.random.default_rng(0)
    for v in range(num_videos):
        subset = subsets[v % len(subsets)]
        name = f"{subset}/episode_{v}.mp4"
        label = int(rng.integers(1, 6))
        rows.append({"file_name": name, "task": f"put object {v} in the bin", "reward": label})
        rows.append({"file_name": name, "task": f"put object {v} in the bin", "reward": max(1, label - 1),
                     "item_id": f"{name}#clip10", "clip_end": 10, "kind": "clip"})
        if v % 2 == 0:
            rows.append({"file_name": f"{subset}/episode_{v}_attempt_1_score_{label}.mp4",
                         "task": f"put object {v} in the bin", "reward": label})
    return rows
