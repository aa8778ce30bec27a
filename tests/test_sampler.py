"""The PyAV frame sampler on real MP4s."""

import numpy as np
import pytest

from roboreward_bench.frames.sampler import FrameSampler, VideoError, fps_indices, uniform_indices
from roboreward_bench.tasks.spec import FrameSpec
from video_fixtures import index_of, write_mp4


def test_uniform_indices_include_ends_and_never_repeat():
    for clip_end in range(0, 60):
        for count in (1, 2, 5, 16):
            indices = uniform_indices(clip_end, count)
            assert indices[-1] == clip_end
            assert len(indices) == len(set(indices)) == min(count, clip_end + 1) or clip_end == 0
            assert indices == sorted(indices) and indices[0] >= 0
            if count > 1 and clip_end + 1 >= count:
                assert indices[0] == 0


def test_fps_indices_end_at_clip_end_and_respect_cap():
    indices = fps_indices(clip_end=29, video_fps=10, fps=2, max_frames=32)
    assert indices[-1] == 29 and np.all(np.diff(indices) == 5)
    capped = fps_indices(clip_end=299, video_fps=30, fps=30, max_frames=8)
    assert len(capped) == 8 and capped[-1] == 299


def test_returns_the_right_frames_as_rgb(tmp_path):
    video = write_mp4(tmp_path / "v.mp4", num_frames=30, size=32)
    sampled = FrameSampler(FrameSpec(num_frames=4)).sample(video, clip_end=21)
    assert sampled.frames.shape == (4, 32, 32, 3) and sampled.frames.dtype == np.uint8
    assert sampled.indices == (0, 7, 14, 21)
    assert [index_of(frame) for frame in sampled.frames] == [0, 7, 14, 21]
    whole = FrameSampler(FrameSpec(num_frames=3)).sample(video, clip_end=None)
    assert whole.indices[-1] == 29 and index_of(whole.frames[-1]) == 29


def test_decodes_each_video_once_keeping_only_the_planned_frames(tmp_path):
    videos = [write_mp4(tmp_path / f"v{i}.mp4", num_frames=20, size=32) for i in range(3)]
    sampler = FrameSampler(FrameSpec(num_frames=4))
    plan = [(video, clip_end) for clip_end in (5, 10, None) for video in videos]
    sampler.plan(plan)
    for video, clip_end in plan:
        sampled = sampler.sample(video, clip_end)
        assert [index_of(frame) for frame in sampled.frames] == list(sampled.indices)
    assert sampler.decodes == 3
    union = {0, 2, 3, 5} | {0, 3, 7, 10} | {0, 6, 13, 19}
    one = FrameSampler(FrameSpec(num_frames=1))
    one.sample(videos[0], 0)
    assert sampler.cached_bytes == 3 * len(union) * one.cached_bytes  # the union per video, not all 20 frames
    for video, clip_end in plan:  # every planned item served: nothing is held any more
        sampler.done(video, clip_end)
    assert sampler.cached_bytes == 0


def test_unplanned_requests_decode_again_only_for_new_frames(tmp_path):
    video = write_mp4(tmp_path / "v.mp4", num_frames=20, size=32)
    sampler = FrameSampler(FrameSpec(num_frames=4))
    first = sampler.sample(video, 19)
    assert sampler.sample(video, 19).indices == first.indices and sampler.decodes == 1
    sampled = sampler.sample(video, 10)  # frames not kept yet: one more decode, keeping both sets
    assert [index_of(frame) for frame in sampled.frames] == [0, 3, 7, 10] and sampler.decodes == 2
    sampler.sample(video, 19)
    assert sampler.decodes == 2


def test_cache_bound_evicts_least_recent(tmp_path):
    videos = [write_mp4(tmp_path / f"v{i}.mp4", num_frames=10, size=32) for i in range(3)]
    probe = FrameSampler(FrameSpec(num_frames=2))
    probe.sample(videos[0], None)
    one_video = probe.cached_bytes
    single = FrameSampler(FrameSpec(num_frames=1))
    single.sample(videos[0], None)
    assert one_video == 2 * single.cached_bytes >= 2 * 32 * 32 * 3 // 2  # two sampled frames, YUV 4:2:0
    sampler = FrameSampler(FrameSpec(num_frames=2), cache_bytes=int(one_video * 2.5))
    for video in videos:  # the third evicts the first
        sampler.sample(video, None)
    sampler.sample(videos[2], None)
    assert sampler.decodes == 3
    sampler.sample(videos[0], None)
    assert sampler.decodes == 4


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "truncated"])
def test_broken_videos_raise_a_named_error(tmp_path, damage):
    path = tmp_path / "bad.mp4"
    if damage != "missing":
        good = write_mp4(tmp_path / "good.mp4", num_frames=30, size=32).read_bytes()
        path.write_bytes({"empty": b"", "garbage": b"\x00not a video" * 100, "truncated": good[: len(good) // 2]}[damage])
    with pytest.raises(VideoError) as info:
        FrameSampler(FrameSpec(num_frames=4)).sample(path, None)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_clip_end_past_the_video_is_an_error(tmp_path):
    video = write_mp4(tmp_path / "v.mp4", num_frames=10, size=32)
    with pytest.raises(VideoError, match="clip_end 15 is past the last frame 9"):
        FrameSampler(FrameSpec(num_frames=4)).sample(video, 15)


def write_faststart_mp4(path, num_frames=100, size=48, fps=10, container_format=None):
    """An H.264 video whose index (moov atom) sits at the front, like a web-ready MP4."""
    import av

    options = {"movflags": "faststart"} if container_format is None else {}
    with av.open(str(path), mode="w", format=container_format, options=options) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10", "preset": "ultrafast"}
        rng = np.random.default_rng(0)
        for index in range(num_frames):  # noise: the frame data, not the index, fills the file
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize("keep", [0.11, 0.5, 0.97])
def test_a_half_cut_faststart_mp4_is_an_error_not_a_shorter_video(tmp_path, keep):
    whole = write_faststart_mp4(tmp_path / "whole.mp4")
    data = whole.read_bytes()
    assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")  # index at the front
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert FrameSampler(FrameSpec(num_frames=4)).sample(whole, None).video_frames == 100
    for clip_end in (None, 5):  # even a clip inside the part that survived: the file is not what it says
        with pytest.raises(VideoError) as info:
            FrameSampler(FrameSpec(num_frames=4)).sample(cut, clip_end)
        message = str(info.value)
        assert message.startswith(f"{cut}: ") and "\n" not in message
        assert "of the 100 frames its container declares" in message or "decoding failed" in message


def test_damage_in_the_middle_is_an_error(tmp_path):
    data = bytearray(write_faststart_mp4(tmp_path / "whole.mp4").read_bytes())
    start = data.index(b"mdat") + len(data) // 3
    data[start:start + 4000] = bytes(4000)
    broken = tmp_path / "zeroed.mp4"
    broken.write_bytes(bytes(data))
    with pytest.raises(VideoError, match=str(broken)):
        FrameSampler(FrameSpec(num_frames=4)).sample(broken, None)


def test_short_decode_is_caught_from_duration_when_no_frame_count(tmp_path):
    """Matroska declares no frame count; the duration × rate estimate still catches a short decode."""
    whole = write_faststart_mp4(tmp_path / "whole.mkv", container_format="matroska")
    assert FrameSampler(FrameSpec(num_frames=4)).sample(whole, None).video_frames == 100
    cut = tmp_path / "cut.mkv"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="frames its container declares \\(duration\\)"):
        FrameSampler(FrameSpec(num_frames=4)).sample(cut, None)


def test_shipped_dev_videos_decode_whole(tmp_path):
    """No false alarm on real task videos: every rrb-sim dev video decodes to its declared length."""
    from pathlib import Path

    import av

    videos = sorted((Path(__file__).resolve().parents[1] / "tasks" / "rrb_sim" / "dev").rglob("*.mp4"))[:40]
    assert videos
    sampler = FrameSampler(FrameSpec(num_frames=16))
    for video in videos:
        with av.open(str(video)) as container:
            declared = container.streams.video[0].frames
        assert sampler.sample(video, None).video_frames == declared
