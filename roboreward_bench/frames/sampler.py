"""The frame sampler: uniformly spaced RGB frames over ``[0, clip_end]``.

Each video is decoded at most once per run: decoded frames stay in an LRU
cache bounded in bytes, so every item that shares the video (clips,
counterfactual instructions, paraphrases) reuses them. Frames are cached as
decoded (YUV) and only the returned ones are converted to RGB.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from roboreward_bench.errors import RRBenchError
from roboreward_bench.tasks.spec import FrameSpec


class VideoError(RRBenchError):
    """A video is missing, empty, corrupt or shorter than the item needs."""


@dataclass(frozen=True, eq=False)
class SampledFrames:
    """Frames (T, H, W, 3) uint8 RGB, their indices in the video, and its fps."""

    frames: np.ndarray
    indices: tuple[int, ...]
    fps: float
    video_frames: int


def uniform_indices(clip_end: int, num_frames: int) -> list[int]:
    """``num_frames`` evenly spaced indices over [0, clip_end], the last always clip_end.

    Fewer come back when the clip is shorter than ``num_frames`` (no repeats).
    """
    if clip_end <= 0:
        return [0]
    if num_frames == 1:
        return [clip_end]
    return sorted(set(np.linspace(0, clip_end, num_frames).round().astype(int).tolist()))


def fps_indices(clip_end: int, video_fps: float, fps: float, max_frames: int) -> list[int]:
    """Frames at ``fps`` counted back from clip_end (so it is included), capped uniformly at ``max_frames``."""
    step = max(video_fps / fps, 1.0)
    count = int(clip_end / step) + 1
    if count > max_frames:
        return uniform_indices(clip_end, max_frames)
    return sorted({int(round(clip_end - k * step)) for k in range(count)})


@dataclass
class _Decoded:
    frames: list  # av.VideoFrame, as decoded
    fps: float
    nbytes: int
    damage: str | None = None


class FrameSampler:
    """Samples frames per :class:`FrameSpec`, decoding each video once.

    ``cache_bytes`` bounds the decoded frames kept; a video larger than the
    whole budget is decoded for each request instead of evicting everything.
    ``decodes`` counts container decodes (the benchmarks print it).
    """

    def __init__(self, spec: FrameSpec, cache_bytes: int = 1 << 30) -> None:
        self.spec = spec
        self.cache_bytes = cache_bytes
        self.decodes = 0
        self._cache: OrderedDict[Path, _Decoded] = OrderedDict()
        self._cached_bytes = 0
        self._to_rgb = None

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded frames held right now."""
        return self._cached_bytes

    def sample(self, video_path: Path, clip_end: int | None) -> SampledFrames:
        """Frames for one item; raises :class:`VideoError` naming the file on any failure."""
        decoded = self._decoded(Path(video_path))
        last = len(decoded.frames) - 1
        end = last if clip_end is None else clip_end
        if decoded.damage and (clip_end is None or clip_end > last):
            raise VideoError(f"{video_path}: video is damaged after frame {last} ({decoded.damage})")
        if end > last:
            raise VideoError(f"{video_path}: clip_end {end} is past the last frame {last}")
        if self.spec.num_frames is not None:
            indices = uniform_indices(end, self.spec.num_frames)
        else:
            indices = fps_indices(end, decoded.fps, self.spec.fps, self.spec.max_frames)
        rgb = np.stack([self._rgb(decoded.frames[i]) for i in indices])
        return SampledFrames(frames=rgb, indices=tuple(indices), fps=decoded.fps, video_frames=last + 1)

    def video_digest(self, video_path: Path) -> str:
        """SHA-256 of the video file's bytes: with clip_end and the frame spec it names
        the sampled frames exactly, without decoding anything."""
        from roboreward_bench.data.content_hash import video_sha256

        try:
            digest = video_sha256(Path(video_path))
        except OSError as exc:
            raise VideoError(f"{video_path}: unreadable video file ({exc.strerror or exc})") from None
        if digest is None:
            raise VideoError(f"{video_path}: video file not found")
        return digest

    def _rgb(self, frame) -> np.ndarray:
        # One reformatter keeps its swscale context across frames of the same
        # size and format; a fresh one per frame costs about 15x more.
        if self._to_rgb is None:
            from av.video.reformatter import VideoReformatter

            self._to_rgb = VideoReformatter()
        return self._to_rgb.reformat(frame, format="rgb24").to_ndarray()

    def _decoded(self, path: Path) -> _Decoded:
        hit = self._cache.get(path)
        if hit is not None:
            self._cache.move_to_end(path)
            return hit
        decoded = decode_video(path)
        self.decodes += 1
        if decoded.nbytes <= self.cache_bytes:
            self._cache[path] = decoded
            self._cached_bytes += decoded.nbytes
            while self._cached_bytes > self.cache_bytes:
                _, evicted = self._cache.popitem(last=False)
                self._cached_bytes -= evicted.nbytes
        return decoded


def decode_video(path: Path) -> _Decoded:
    """Decode every frame of the first video stream (as decoded, not converted)."""
    import av

    if not path.is_file():
        raise VideoError(f"{path}: video file not found")
    frames = []
    rate = None
    damage = None
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            for frame in container.decode(stream):
                frames.append(frame)
    except VideoError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        if not frames:
            raise VideoError(f"{path}: unreadable video ({type(exc).__name__}: {exc})") from None
        # A file damaged part-way still yields the frames before the damage:
        # items whose clip ends there are scored, the rest fail with this reason.
        damage = f"{type(exc).__name__}: {exc}"
    if not frames:
        raise VideoError(f"{path}: no decodable frames")
    nbytes = sum(plane.buffer_size for frame in frames for plane in frame.planes)
    return _Decoded(frames=frames, fps=float(rate) if rate else 30.0, nbytes=nbytes, damage=damage)
