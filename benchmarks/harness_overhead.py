"""Harness overhead: rrbench's time per item outside the model vs a bare PyAV decode.

Builds ~100 short MP4s (224 px, 75 frames) with 4 items each (the full video
and three clips), then measures in one run:

- ``rrbench eval --model random`` end to end (load, sample, build requests,
  parse, write predictions, score with 1,000 bootstrap resamples, write results),
  minus the time spent inside the model's ``generate``;
- a bare PyAV loop: for every item, open its video, decode up to ``clip_end``
  and convert the same sampled frames to RGB.

Target: harness ≤ 1.3× bare decode per item, where the bare loop decodes each
video once (the union of its items' frames); the older per-item bare loop is
printed beside it. It also prints container decodes against distinct videos
and items (decode once per video).

Whole-video mode (``frames: {whole_video: true}``, HELM's protocols) is timed
on the same videos, one full item each: rrbench only hashes and forwards the
file, so it must report 0 container decodes; its harness time per item is
printed beside a bare read of the file's bytes.

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


def bare_decode_once(root: Path, rows: list[dict], num_frames: int) -> float:
    """Seconds to decode each video once, up to its last clip_end, converting the union of sampled frames."""
    wanted: dict[str, set[int]] = {}
    last: dict[str, int] = {}
    for row in rows:
        wanted.setdefault(row["file_name"], set()).update(uniform_indices(row["clip_end"], num_frames))
        last[row["file_name"]] = max(last.get(row["file_name"], 0), row["clip_end"])
    started = time.perf_counter()
    for name, indices in wanted.items():
        with av.open(str(root / name)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in indices:
                    frame.to_ndarray(format="rgb24")
                if index >= last[name]:
                    break
    return time.perf_counter() - started


def bare_read(root: Path, names: list[str]) -> float:
    """Seconds to read every file's bytes once (what forwarding a file at least costs)."""
    started = time.perf_counter()
    for name in names:
        (root / name).read_bytes()
    return time.perf_counter() - started


def whole_video_task(root: Path, rows: list[dict]) -> tuple[Path, list[str]]:
    """A task YAML over one full item per video, sent as whole files."""
    names = sorted({row["file_name"] for row in rows})
    folder = root / "whole"
    folder.mkdir()
    for subset in {name.split("/")[0] for name in names}:  # the same files, not copies
        (folder / subset).symlink_to(root / "data" / subset, target_is_directory=True)
    (folder / "metadata.jsonl").write_text("".join(
        json.dumps({"file_name": name, "task": "t", "reward": 3, "item_id": name}) + "\n" for name in names))
    spec = root / "whole.yaml"
    spec.write_text(f"name: whole\nframes: {{whole_video: true}}\nsource: {{kind: local, path: {folder}}}\n")
    return spec, names


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

    # One-time imports (scipy.stats, scikit-learn for the metrics) are not per-item work: warm them first,
    # and print their cost, so a loaded machine does not spread them over the items.
    started = time.perf_counter()
    import scipy.stats  # noqa: F401
    import sklearn.metrics  # noqa: F401
    print(f"one-time metric imports: {time.perf_counter() - started:.2f} s (excluded below)")

    registry.register_model("random-timed")(lambda arg, margs, ctx: TimedRandom(seed=ctx.seed))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        rows = build(root, args.videos, args.items_per_video, args.frames, args.size)
        bare = bare_decode(root, rows, args.num_frames)
        once = bare_decode_once(root, rows, args.num_frames)
        started = time.perf_counter()
        outcome = evaluate(EvalConfig(task=str(root), model="random-timed", model_args={},
                                      num_frames=args.num_frames, output_dir=Path(tmp) / "run", progress=False))
        total = time.perf_counter() - started
        harness = total - TimedRandom.model_seconds
        spec, names = whole_video_task(Path(tmp), rows)
        read = bare_read(root, names)
        TimedRandom.model_seconds = 0.0
        started = time.perf_counter()
        whole = evaluate(EvalConfig(task=str(spec), model="random-timed", model_args={},
                                    output_dir=Path(tmp) / "whole-run", progress=False))
        whole_harness = time.perf_counter() - started - TimedRandom.model_seconds
    n = len(rows)
    print(f"items: {n}   distinct videos: {args.videos}   container decodes: {outcome.decodes}")
    print(f"bare PyAV decode per item, each video once: {once / n * 1000:8.2f} ms  (total {once:.2f} s)")
    print(f"bare PyAV decode per item, per item:        {bare / n * 1000:8.2f} ms  (total {bare:.2f} s)")
    print(f"rrbench harness per item:                   {harness / n * 1000:8.2f} ms  (total {harness:.2f} s)")
    print(f"ratio harness / bare decode once per video: {harness / once:8.2f}   (target ≤ 1.30)")
    print(f"ratio harness / bare decode per item:       {harness / bare:8.2f}")
    print(f"whole-video mode: {len(names)} items, container decodes: {whole.decodes} (target 0)")
    print(f"  harness per item {whole_harness / len(names) * 1000:.2f} ms; bare file read per item "
          f"{read / len(names) * 1000:.2f} ms; frames-mode harness per item {harness / n * 1000:.2f} ms")


if __name__ == "__main__":
    main()
