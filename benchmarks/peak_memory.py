"""Peak memory (RSS) of ``rrbench eval``: on rrb-sim, and on one 900-frame 720p video.

Each case runs ``rrbench eval --model random`` in a fresh child process and
prints the child's peak RSS (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``,
one child per wrapper so the figure is that run's alone). Targets (issue 10):
rrb-sim ≤ 500 MB, the 720p video ≤ 300 MB. The 720p video is generated here
(H.264, 1280×720, 900 frames) in a temporary folder and never committed.
With ``--baseline DIR`` the same cases also run against another checkout
(e.g. /work/main) side by side.

    python benchmarks/peak_memory.py [--task rrb-sim] [--skip-720p] [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb(command: list[str], pythonpath: Path) -> tuple[float, int]:
    """Run ``command`` in a wrapper child and return (its peak RSS in MB, exit code)."""
    wrapper = ("import json, resource, subprocess, sys\n"
               "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
               "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code]))\n")
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    # cwd matters: ``python -m`` puts the working folder first on sys.path, ahead of PYTHONPATH.
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, env=env,
                         check=True, cwd=pythonpath)
    kilobytes, code = json.loads(out.stdout.strip().splitlines()[-1])
    return kilobytes / 1024, code


def eval_command(task: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "roboreward_bench.cli.main", "eval", "--task", task, "--model", "random",
            "--output-dir", str(out), "--no-progress", "--fresh"]


def write_720p_dataset(root: Path, frames: int = 900) -> Path:
    """A dataset of one 1280×720 H.264 video (moving gradient + noise) and three items on it."""
    import av
    import numpy as np

    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = np.add.outer(np.arange(720), np.arange(1280)) % 256
    with av.open(str(root / "long.mp4"), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for index in range(frames):
            grey = ((base + index * 3) % 256).astype(np.uint8)
            noise = rng.integers(0, 16, (720, 1280), dtype=np.uint8)
            rgb = np.stack([grey, grey + noise, 255 - grey], axis=-1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    rows = [{"file_name": "long.mp4", "task": "fold the towel", "reward": 3},
            {"file_name": "long.mp4", "task": "fold the towel", "reward": 2, "item_id": "long#300", "clip_end": 300},
            {"file_name": "long.mp4", "task": "fold the towel", "reward": 2, "item_id": "long#600", "clip_end": 600}]
    (root / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="rrb-sim")
    parser.add_argument("--skip-720p", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure side by side")
    args = parser.parse_args()
    checkouts = [("this checkout", REPO)] + ([("baseline " + str(args.baseline), args.baseline)]
                                             if args.baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(f"eval --model random --task {args.task}", args.task, 500)]
        if not args.skip_720p:
            data = write_720p_dataset(Path(tmp) / "720p")
            cases.append(("eval --model random on one 900-frame 1280x720 video (3 items)", str(data), 300))
        for label, task, target in cases:
            for name, checkout in checkouts:
                mb, code = peak_rss_mb(eval_command(task, Path(tmp) / "runs" / name.replace(" ", "_")), checkout)
                verdict = "OK" if mb <= target else "OVER"
                print(f"{label} [{name}]: peak RSS {mb:.0f} MB (target ≤ {target} MB: {verdict}; exit {code})")


if __name__ == "__main__":
    main()
