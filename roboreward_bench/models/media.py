"""Checks and encodings for the frames in a request, shared by the backends."""

from __future__ import annotations

import base64
import io
from fractions import Fraction
from pathlib import Path

import numpy as np

from roboreward_bench.requests import Request, VideoPart


def frames_problem(part: VideoPart) -> str | None:
    """Why ``part.frames`` is not a (T, H, W, 3) uint8 array with T ≥ 1, or None if it is."""
    frames = part.frames
    if not isinstance(frames, np.ndarray):
        return f"frames must be a numpy array, got {type(frames).__name__}"
    if frames.dtype != np.uint8:
        return f"frames must be uint8, got {frames.dtype}"
    if frames.ndim != 4 or frames.shape[-1] != 3 or min(frames.shape) < 1:
        return f"frames must have shape (T, H, W, 3), got {tuple(frames.shape)}"
    if len(part.frame_indices) not in (0, frames.shape[0]):
        return f"{len(part.frame_indices)} frame indices for {frames.shape[0]} frames"
    return None


def request_problem(request: Request) -> str | None:
    """The first problem with any video part of ``request``, or None."""
    for message in request.messages:
        for part in message.content:
            if isinstance(part, VideoPart):
                problem = frames_problem(part)
                if problem:
                    return problem
    return None


def jpeg_data_uri(frame: np.ndarray, quality: int) -> str:
    """One RGB frame as a ``data:image/jpeg;base64,…`` URI."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame)).save(buffer, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sampled_fps(part: VideoPart) -> float:
    """Frame rate of the sampled frames: their count over the time span they cover."""
    indices = part.frame_indices
    if len(indices) >= 2 and part.fps and indices[-1] > indices[0]:
        return max(0.1, (len(indices) - 1) * part.fps / (indices[-1] - indices[0]))
    return 1.0


def file_data_uri(path: Path) -> str:
    """A video file's own bytes as a ``data:video/<type>;base64,…`` URI (nothing is decoded)."""
    kind = {".webm": "webm", ".mov": "quicktime", ".mkv": "x-matroska"}.get(Path(path).suffix.lower(), "mp4")
    return f"data:video/{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def mp4_data_uri(part: VideoPart, crf: int = 18) -> str:
    """The sampled frames as an H.264 MP4 ``data:video/mp4;base64,…`` URI (PyAV)."""
    import av

    frames = part.frames
    height, width = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
    rate = Fraction(sampled_fps(part)).limit_denominator(1000)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf)}
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:height, :width]), format="rgb24")
            container.mux(stream.encode(video_frame))
        container.mux(stream.encode())
    return "data:video/mp4;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
