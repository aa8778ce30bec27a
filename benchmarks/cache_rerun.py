"""Response cache: wall time of a cached re-run vs the first run of the same eval.

Builds a dataset folder of real MP4s (the test fixture layout) and runs
``rrbench eval`` in-process (``evaluate``) twice with the same response cache:

1. the first run: every request goes to the model and its answers are stored;
2. the same command again with ``--fresh`` (so nothing is resumed from
   predictions.jsonl): every answer must come from the cache.

It does this for two models, side by side: the tiny random Qwen2.5-VL (hf
backend, built offline; the cached re-run never loads its weights) and the
openai backend against a loopback server that answers after 100 ms. torch and
transformers are imported before timing, so neither run pays for imports.

Target: cached re-run ≤ 5% of the first run's wall time.

    python benchmarks/cache_rerun.py [--videos 16]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from loopback_server import LoopbackServer, Reply  # noqa: E402
from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402
from tiny_models import tiny_model_dir, write_test_video  # noqa: E402


def build_dataset(root: Path, videos: int) -> int:
    """Videos of 48 frames at 224 px; each gives the full episode and two clips. Returns the item count."""
    import json

    rows = []
    for v in range(videos):
        name = f"set{v % 4}/episode_{v}.mp4"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_test_video(root / name, num_frames=48, size=224, seed=v)
        rows.append({"file_name": name, "task": f"move object {v} to the goal", "reward": 1 + v % 5})
        for end in (15, 31):
            rows.append({"file_name": name, "task": f"move object {v} to the goal", "reward": 1 + (v + end) % 5,
                         "item_id": f"{name}#{end}", "clip_end": end, "kind": "clip"})
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return len(rows)


def timed_eval(config: EvalConfig) -> tuple[float, dict]:
    started = time.perf_counter()
    outcome = evaluate(config)
    return time.perf_counter() - started, dict(outcome.results.model.details)


def compare(label: str, data: Path, out: Path, cache: Path, model: str, model_args: dict) -> None:
    config = EvalConfig(task=str(data), model=model, model_args=model_args, output_dir=out, cache_path=cache,
                        progress=False, num_frames=8)
    first, details = timed_eval(config)
    again, cached_details = timed_eval(EvalConfig(**{**config.__dict__, "fresh": True}))
    cache = cached_details["cache"]
    print(f"{label:26s} first run {first:7.2f} s   cached re-run {again:6.3f} s   ratio {again / first * 100:5.2f}%")
    print(f"{'':26s} re-run: {cache['hits']} hits, {cache['seconds'] * 1000:.1f} ms in cache reads; first run "
          f"stored {details['cache']['stored']}"
          + (f"; weights loaded on re-run: {cached_details.get('loaded')}" if "loaded" in cached_details else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=16)
    args = parser.parse_args()
    import torch  # noqa: F401  (imports outside the timed region)
    import transformers  # noqa: F401

    os.environ["RRB_BENCH_KEY"] = "bench-key-not-secret"
    folder = tiny_model_dir("qwen2.5-vl")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        items = build_dataset(root / "data", args.videos)
        print(f"{items} items from {args.videos} real MP4s (224 px), 8 frames per item; target re-run <= 5%")
        compare("hf tiny Qwen2.5-VL", root / "data", root / "hf", root / "cache.sqlite", f"hf:{folder}",
                {"batch_size": 4, "max_new_tokens": 16})
        with LoopbackServer(default=Reply(delay=0.1)) as server:
            compare("openai, 100 ms loopback", root / "data", root / "api", root / "cache.sqlite",
                    "openai:bench-model", {"base_url": server.base_url, "api_key_env": "RRB_BENCH_KEY",
                                           "concurrency": 8})


if __name__ == "__main__":
    main()
