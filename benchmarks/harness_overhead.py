"""Harness overhead: rrbench's time per item outside the model vs a bare PyAV decode.

Builds ~100 short MP4s (224 px, 75 frames) with 4 items each (the full video
and three clips), then measures in one run:

- ``rrbench eval --model random`` end to end (load, sample, build requests,
  parse, write predictions, score with 1,000 bootstrap resamples, write results),
  minus the time spent inside the model's ``generate``;
- a bare PyAV loop: for every item, open its video, decode up to ``clip_end``
  and convert the same sampled frames to RGB.

Target: harness ≤ 1.3× bare decode per item. It also prints container decodes
against distinct videos and items (decode once per video).

    python benchmarks/harness_overhead.py [--videos 100] [--items-per-video 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402
from roboreward_bench.frames.sampler import uniform_indices  # noqa: E402
from roboreward_bench.models.baselines import RandomBaseline  # noqa: E402


def write_video(path: Path, frames: int, size: int, rng: np.random.Generator) -> None:
    """A moving gradient with noise, so H.264 has real work to do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            image = np.roll(base, index * 3, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def build(root: Path, videos: int, per_video: int, frames: int, size: int) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for v in range(videos):
        name = f"set{v % 5}/video{v:03d}.mp4"
        write_video(root / name, frames, size, rng)
        ends = [frames - 1] + [int(frames * k / per_video) for k in range(1, per_video)]
        for k, end in enumerate(ends):
            rows.append({"file_name": name, "task": f"task {v}", "reward": int(rng.integers(1, 6)),
                         "item_id": f"{name}#{k}", "clip_end": end})
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def bare_decode(root: Path, rows: list[dict], num_frames: int) -> float:
    """Seconds for the naive per-item loop: open, decode to clip_end, convert the sampled frames."""
    started = time.perf_counter()
    for row in rows:
        wanted = set(uniform_indices(row["clip_end"], num_frames))
        with av.open(str(root / row["file_name"])) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in wanted:
                    frame.to_ndarray(format="rgb24")
                if index >= row["clip_end"]:
                    break
    return time.perf_counter() - started


class TimedRandom(RandomBaseline):
    """The random baseline, timing its own generate calls (the model's share)."""

    model_seconds = 0.0

    def generate(self, requests):
        started = time.perf_counter()
        try:
            return super().generate(requests)
        finally:
            TimedRandom.model_seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100)
    parser.add_argument("--items-per-video", type=int, default=4)
    parser.add_argument("--frames", type=int, default=75)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--num-frames", type=int, default=16)
    args = parser.parse_args()

    from roboreward_bench.models import registry

    registry.register_model("random-timed")(lambda arg, margs, ctx: TimedRandom(seed=ctx.seed))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        rows = build(root, args.videos, args.items_per_video, args.frames, args.size)
        bare = bare_decode(root, rows, args.num_frames)
        started = time.perf_counter()
        outcome = evaluate(EvalConfig(task=str(root), model="random-timed", model_args={},
                                      num_frames=args.num_frames, output_dir=Path(tmp) / "run", progress=False))
        total = time.perf_counter() - started
    harness = total - TimedRandom.model_seconds
    n = len(rows)
    print(f"items: {n}   distinct videos: {args.videos}   container decodes: {outcome.decodes}")
    print(f"bare PyAV decode per item:        {bare / n * 1000:8.2f} ms  (total {bare:.2f} s)")
    print(f"rrbench harness per item:         {harness / n * 1000:8.2f} ms  (total {harness:.2f} s, "
          f"model {TimedRandom.model_seconds * 1000:.1f} ms)")
    print(f"ratio harness / bare decode:      {harness / bare:8.2f}   (target ≤ 1.30)")


if __name__ == "__main__":
    main()
