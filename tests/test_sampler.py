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


def test_decodes_each_video_once(tmp_path):
    videos = [write_mp4(tmp_path / f"v{i}.mp4", num_frames=20, size=32) for i in range(3)]
    sampler = FrameSampler(FrameSpec(num_frames=4))
    for clip_end in (5, 10, 19):
        for video in videos:
            sampler.sample(video, clip_end)
    assert sampler.decodes == 3


def test_cache_bound_evicts_least_recent(tmp_path):
    videos = [write_mp4(tmp_path / f"v{i}.mp4", num_frames=10, size=32) for i in range(3)]
    probe = FrameSampler(FrameSpec(num_frames=2))
    probe.sample(videos[0], None)
    one_video = probe.cached_bytes
    assert one_video >= 10 * 32 * 32 * 3 // 2  # at least the YUV 4:2:0 planes
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
