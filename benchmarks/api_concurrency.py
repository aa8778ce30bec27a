"""OpenAI-backend throughput: concurrency=1 vs concurrency=8 against a 100 ms loopback server.

A real HTTP server on 127.0.0.1 answers every chat completion after a fixed
delay. The same requests (8 real JPEG-encoded frames each) are sent once with
``concurrency=1`` and once with ``concurrency=8``, in one run, and the
throughputs are printed side by side.

Target: concurrency=8 gives ≥ 5× the throughput of concurrency=1.

    python benchmarks/api_concurrency.py [--requests 48] [--delay 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from loopback_server import LoopbackServer, Reply  # noqa: E402
from roboreward_bench.models.base import ModelContext  # noqa: E402
from roboreward_bench.models.registry import build_model  # noqa: E402
from roboreward_bench.requests import Message, Request, TextPart, VideoPart, hash_messages  # noqa: E402


def requests(count: int, frames: int = 8, size: int = 224) -> list[Request]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        video = VideoPart(rng.integers(0, 255, (frames, size, size, 3), dtype=np.uint8), tuple(range(frames)), 10.0)
        messages = (Message("user", (video, TextPart(f"Task: item {i}. ANSWER: <score>"))),)
        out.append(Request(f"item-{i}", messages, "bench", hash_messages(messages)))
    return out


def throughput(base_url: str, batch: list[Request], concurrency: int) -> tuple[float, float, int]:
    """(requests per second, wall seconds, errors) for one pass over ``batch``."""
    model = build_model("openai:bench-model", {"base_url": base_url, "api_key_env": "RRB_BENCH_KEY",
                                               "concurrency": concurrency}, ModelContext())[1]
    started = time.perf_counter()
    responses = model.generate(batch)
    wall = time.perf_counter() - started
    return len(batch) / wall, wall, sum(r.error is not None for r in responses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    os.environ["RRB_BENCH_KEY"] = "bench-key-not-secret"
    batch = requests(args.requests)
    with LoopbackServer(default=Reply(delay=args.delay)) as server:
        serial, serial_wall, serial_errors = throughput(server.base_url, batch, 1)
        parallel, parallel_wall, parallel_errors = throughput(server.base_url, batch, 8)
        peak = server.max_in_flight
    print(f"loopback server: {args.delay * 1000:.0f} ms per request, {args.requests} requests of 8 JPEG frames")
    print(f"concurrency=1: {serial:7.2f} req/s  (wall {serial_wall:.2f} s, errors {serial_errors})")
    print(f"concurrency=8: {parallel:7.2f} req/s  (wall {parallel_wall:.2f} s, errors {parallel_errors}, "
          f"peak in flight {peak})")
    print(f"speed-up: {parallel / serial:.2f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
