"""H.264 MP4 encoding of rendered frames with PyAV."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np


def write_mp4(path: Path, frames: Sequence[np.ndarray], fps: int, crf: int = 23) -> None:
    """Write RGB uint8 frames to ``path`` (libx264, yuv420p, every frame kept)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    height, width = frames[0].shape[:2]
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        # One thread and no B-frame lookahead surprises: deterministic output per libx264 build.
        stream.options = {"crf": str(crf), "preset": "medium", "threads": "1"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)


# Every rrb-sim v2 video is exactly this many bytes, so file size says nothing about its content.
VIDEO_BYTES = 64 * 1024
_CRF_STEPS = (23, 26, 29, 32, 35, 38, 41)


_last_fit: dict[int, int] = {}   # size -> index of the crf that fitted last (where the search starts)


def write_fixed_size_mp4(path: Path, frames: Sequence[np.ndarray], fps: int, size: int = VIDEO_BYTES) -> int:
    """Encode at the best quality (lowest crf step) that fits ``size`` bytes, then pad the file to
    exactly ``size`` with a top-level MP4 ``free`` box, which players skip. Returns the crf used.

    The search starts at the step that fitted the previous video and walks down while the next
    lower step still fits (up otherwise), so a build encodes each video about twice, not 3–5 times.
    """
    fits: dict[int, bool] = {}
    written: list[int] = []

    def fits_at(index: int) -> bool:
        if index not in fits:
            write_mp4(path, frames, fps, crf=_CRF_STEPS[index])
            written.append(index)
            room = size - path.stat().st_size
            fits[index] = room == 0 or room >= 8   # a free box needs 8 bytes of header
        return fits[index]

    index = _last_fit.get(size, 0)
    while not fits_at(index):
        index += 1
        if index == len(_CRF_STEPS):
            raise ValueError(f"{path}: {len(frames)} frames do not fit in {size} bytes even at crf {_CRF_STEPS[-1]}")
    while index > 0 and fits_at(index - 1):
        index -= 1
    if written[-1] != index:   # the file on disk is from another step: write this one again
        write_mp4(path, frames, fps, crf=_CRF_STEPS[index])
    _last_fit[size] = index
    room = size - path.stat().st_size
    if room:
        with open(path, "ab") as handle:
            handle.write(room.to_bytes(4, "big") + b"free" + bytes(room - 8))
    return _CRF_STEPS[index]


def count_frames(path: Path) -> int:
    """The number of decodable video frames in ``path``."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))
