"""The frame sampler: uniformly spaced RGB frames over ``[0, clip_end]``.

Memory stays bounded by what is returned, not by video length: a decode keeps
only the frames some item of that video will use (the union of the sampled
indices over its items, when the run :meth:`FrameSampler.plan` s them ahead),
as decoded YUV; only returned frames are converted to RGB. A video's frames
are dropped as soon as its last planned item is served, and otherwise held
in an LRU cache bounded in bytes, so each video is decoded once per run.

A decode that comes up short of what the container declares (its frame
count, else duration × rate) is an error naming the file, never a shorter
video: a half-cut MP4 with its index at the front decodes its first frames
without complaint, and must not be scored as if that were the whole episode.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

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
    frames: dict[int, object]  # index → av.VideoFrame as decoded, only the indices some item needs
    count: int  # frames in the video
    fps: float

    @property
    def nbytes(self) -> int:
        return sum(plane.buffer_size for frame in self.frames.values() for plane in frame.planes)


Wanted = Callable[[int, float], set[int]]  # (frames in the video, its fps) → indices to keep


class FrameSampler:
    """Samples frames per :class:`FrameSpec`, decoding each video once and keeping only needed frames.

    ``cache_bytes`` bounds the decoded frames kept across videos. ``decodes``
    counts container decodes (the benchmarks print it).
    """

    def __init__(self, spec: FrameSpec, cache_bytes: int = 1 << 30) -> None:
        self.spec = spec
        self.cache_bytes = cache_bytes
        self.decodes = 0
        self._cache: OrderedDict[Path, _Decoded] = OrderedDict()
        self._planned: dict[Path, list[int | None]] = {}
        self._to_rgb = None

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded frames held right now."""
        return sum(decoded.nbytes for decoded in self._cache.values())

    def plan(self, requests: Iterable[tuple[Path, int | None]]) -> None:
        """Announce the ``(video, clip_end)`` pairs to come, so one decode keeps every frame they need."""
        for path, clip_end in requests:
            self._planned.setdefault(Path(path), []).append(clip_end)

    def indices(self, clip_end: int, video_fps: float) -> list[int]:
        """The frame indices this spec samples from a clip ending at ``clip_end``."""
        if self.spec.num_frames is not None:
            return uniform_indices(clip_end, self.spec.num_frames)
        return fps_indices(clip_end, video_fps, self.spec.fps, self.spec.max_frames)

    def sample(self, video_path: Path, clip_end: int | None) -> SampledFrames:
        """Frames for one item; raises :class:`VideoError` naming the file on any failure."""
        decoded = self._decoded(Path(video_path), clip_end)
        last = decoded.count - 1
        end = last if clip_end is None else clip_end
        if end > last:
            raise VideoError(f"{video_path}: clip_end {end} is past the last frame {last}")
        indices = self.indices(end, decoded.fps)
        first = self._rgb(decoded.frames[indices[0]])
        rgb = np.empty((len(indices), *first.shape), dtype=first.dtype)  # filled in place: no stacked copy
        rgb[0] = first
        for slot, index in enumerate(indices[1:], start=1):
            rgb[slot] = self._rgb(decoded.frames[index])
        return SampledFrames(frames=rgb, indices=tuple(indices), fps=decoded.fps, video_frames=decoded.count)

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

    def _wanted(self, path: Path, clip_end: int | None, also: Iterable[int]) -> Wanted:
        ends = [clip_end, *self._planned.get(path, [])]
        extra = set(also)

        def wanted(count: int, fps: float) -> set[int]:
            keep = set(extra)
            for end in ends:
                end = count - 1 if end is None else end
                if 0 <= end < count:
                    keep.update(self.indices(end, fps))
            return keep
        return wanted

    def _decoded(self, path: Path, clip_end: int | None) -> _Decoded:
        hit = self._cache.get(path)
        if hit is not None:
            end = hit.count - 1 if clip_end is None else clip_end
            if end >= hit.count or set(self.indices(end, hit.fps)) <= set(hit.frames):
                self._cache.move_to_end(path)
                return hit
        decoded = decode_video(path, self._wanted(path, clip_end, hit.frames if hit else ()))
        self.decodes += 1
        self._cache.pop(path, None)
        if decoded.nbytes <= self.cache_bytes:
            self._cache[path] = decoded
            while self.cached_bytes > self.cache_bytes:
                self._cache.popitem(last=False)
        return decoded

    def done(self, video_path: Path, clip_end: int | None) -> None:
        """Tick off one planned request (served, answered from a cache, or failed); a video with
        none left leaves the frame cache at once."""
        path = Path(video_path)
        planned = self._planned.get(path)
        if planned is None:
            return
        if clip_end in planned:
            planned.remove(clip_end)
        if not planned:
            del self._planned[path]
            self._cache.pop(path, None)
            return
        held = self._cache.get(path)
        if held is not None:  # keep only what the items still to come will use
            still = self._wanted(path, planned[0], ())(held.count, held.fps)
            for index in [i for i in held.frames if i not in still]:
                del held.frames[index]


def declared_frames(stream, container) -> tuple[int | None, str]:
    """How many frames the container says the video has, and from what (frame count, else duration × rate)."""
    if stream.frames:
        return int(stream.frames), "frame count"
    rate = stream.average_rate or stream.guessed_rate
    if stream.duration and stream.time_base and rate:
        return int(round(float(stream.duration * stream.time_base * rate))), "duration"
    if container.duration and rate:
        return int(round(container.duration / 1_000_000 * float(rate))), "duration"
    return None, ""


def _is_short(decoded: int, declared: int | None, source: str) -> bool:
    if declared is None:
        return False
    # A frame count is exact; a duration × rate estimate is allowed a little rounding slack.
    slack = 0 if source == "frame count" else max(2, int(0.02 * declared))
    return decoded < declared - slack


def decode_video(path: Path, wanted: Wanted | None = None) -> _Decoded:
    """Decode the first video stream, keeping only the frames ``wanted`` asks for (all when None)."""
    import av

    if not path.is_file():
        raise VideoError(f"{path}: video file not found")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 30.0
            declared, source = declared_frames(stream, container)
            # With no declared count, a first pass only counts (keeps nothing) and a second one keeps.
            keep = None if wanted is None else wanted(declared, fps) if declared is not None else set()
            count, frames = _decode_pass(container, stream, keep, path)
    except VideoError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise VideoError(f"{path}: unreadable video ({type(exc).__name__}: {exc})") from None
    if count == 0:
        raise VideoError(f"{path}: no decodable frames")
    if _is_short(count, declared, source):
        raise VideoError(f"{path}: decoded only {count} of the {declared} frames its container declares "
                         f"({source}); the file is truncated or damaged, so re-copy or re-encode it")
    if wanted is not None:
        need = wanted(count, fps)
        if not need <= set(frames):  # the declared count was unknown or off: keep exactly now
            return decode_video_pass2(path, need, fps, count)
        frames = {i: frames[i] for i in need}
    return _Decoded(frames=frames, count=count, fps=fps)


def decode_video_pass2(path: Path, need: set[int], fps: float, count: int) -> _Decoded:
    """A second decode that keeps exactly ``need`` (the frame count is known now)."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            again, frames = _decode_pass(container, stream, need, path)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise VideoError(f"{path}: unreadable video ({type(exc).__name__}: {exc})") from None
    if again != count:
        raise VideoError(f"{path}: decoded {again} frames, then {count}; the file changed or is damaged")
    return _Decoded(frames=frames, count=count, fps=fps)


def _decode_pass(container, stream, keep: set[int] | None, path: Path) -> tuple[int, dict[int, object]]:
    """Decode every frame, holding only those in ``keep`` (all when None); a mid-stream failure is an error."""
    import av

    frames: dict[int, object] = {}
    count = 0
    try:
        for frame in container.decode(stream):
            if keep is None or count in keep:
                frames[count] = frame
            count += 1
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        if count == 0:
            raise
        raise VideoError(f"{path}: decoding failed after frame {count - 1} ({type(exc).__name__}: {exc}); "
                         "the file is damaged, so re-copy or re-encode it") from None
    return count, frames
