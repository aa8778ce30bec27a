"""Memory stays bounded by what is returned: kept frames shrink as items are served; batches cap frame bytes."""

from __future__ import annotations

import numpy as np

from roboreward_bench.evaluation.runner import WorkItem, batched
from roboreward_bench.frames.sampler import FrameSampler
from roboreward_bench.requests import Message, VideoPart
from roboreward_bench.tasks.spec import FrameSpec
from video_fixtures import write_mp4


def test_kept_frames_shrink_to_what_the_remaining_items_need(tmp_path):
    video = write_mp4(tmp_path / "v.mp4", num_frames=40, size=32)
    sampler = FrameSampler(FrameSpec(num_frames=4))
    sampler.plan([(video, None), (video, 6)])
    sampler.sample(video, None)
    assert sampler.decodes == 1
    held = set(sampler._cache[video].frames)
    assert held == {0, 13, 26, 39} | {0, 2, 4, 6}
    sampler.done(video, None)
    assert set(sampler._cache[video].frames) == {0, 2, 4, 6}  # the whole-video frames are gone
    sampler.sample(video, 6)
    sampler.done(video, 6)
    assert sampler.decodes == 1 and sampler.cached_bytes == 0


def _unit(nbytes: int) -> WorkItem:
    from roboreward_bench.data.items import Item
    from roboreward_bench.requests import Request

    frames = np.zeros((nbytes // 3, 1, 1, 3), dtype=np.uint8)
    request = Request(item_id="x", messages=(Message(role="user", content=(VideoPart(frames=frames, frame_indices=(), fps=1.0),)),),
                      prompt_version="p", content_hash="h")
    return WorkItem(item=None, request=request, error=None)  # type: ignore[arg-type]


def test_batches_are_bounded_by_frame_bytes_as_well_as_count():
    units = [_unit(30 << 20) for _ in range(10)]  # ~30 MB of frames each, like 16 frames of 720p
    sizes = [len(batch) for batch in batched(iter(units), size=64, max_bytes=100 << 20)]
    assert sizes == [4, 4, 2]
    assert [len(b) for b in batched(iter(units), size=3)] == [3, 3, 3, 1]
