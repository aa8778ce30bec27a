"""Managed server vs hand-started server: the run-time overhead of ``serve:`` apart from start-up.

The same ``rrbench eval`` (in-process ``evaluate``) on the first N items of
rrb-sim-dev, with the tiny random Qwen2.5-VL served by ``transformers serve``
on CPU, two ways, alternating which goes first in each round so load on the
machine hits both alike:

- **hand-started**: a fresh server is started by this script before timing
  (and stopped after), and rrbench talks to it with ``--model openai:<dir>
  --model-args base_url=…``;
- **managed**: ``--model serve:<dir> --model-args launcher=transformers``;
  rrbench starts the server, waits for it, runs, and stops it. Its start-up
  (launch to first request) and stop times are read from results.json and
  reported apart.

Both use the same concurrency (2, the transformers launcher's default) and
the response cache is off. Target: managed run time minus start-up within 5%
of the hand-started run time.

    python benchmarks/managed_server_overhead.py [--items 24] [--rounds 2] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402
from roboreward_bench.models.server_process import free_port  # noqa: E402
from tiny_models import tiny_model_dir  # noqa: E402


def start_by_hand(model_dir: Path, home: Path) -> tuple[subprocess.Popen, str]:
    """``transformers serve`` started the way a user would, before any timing."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(model_dir), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu"]
    server = subprocess.Popen(command, stdout=(home / "hand.log").open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                if reply.status == 200:
                    return server, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the hand-started server did not become healthy")


def run(model: str, args: dict, items: int, out: Path) -> tuple[float, dict]:
    config = EvalConfig(task="rrb-sim-dev", model=model, model_args=args, limit=items, output_dir=out, fresh=True,
                        use_cache=False, progress=False)
    started = time.perf_counter()
    outcome = evaluate(config)
    seconds = time.perf_counter() - started
    assert not outcome.errors, outcome.errors[:3]
    return seconds, json.loads((out / "results.json").read_text())["model"]["details"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=16)
    options = parser.parse_args()
    model_dir = tiny_model_dir("qwen2.5-vl").resolve()
    with tempfile.TemporaryDirectory(prefix="rrbench-bench-") as tmp:
        root = Path(tmp)
        os.environ.update(HF_HOME=str(root / "hf-home"), HF_HUB_OFFLINE="1")
        (root / "hf-home" / "hub").mkdir(parents=True)
        common = {"max_tokens": options.max_tokens, "concurrency": 2}
        hand, managed, startups, stops = [], [], [], []

        def hand_run(round_: int) -> None:
            server, base_url = start_by_hand(model_dir, root)  # a fresh server, like the managed one
            try:
                hand.append(run(f"openai:{model_dir}", {**common, "base_url": base_url}, options.items,
                                root / f"hand-{round_}")[0])
            finally:
                server.terminate()
                server.wait(timeout=30)

        def managed_run(round_: int) -> None:
            seconds, details = run(f"serve:{model_dir}", {**common, "launcher": "transformers", "device": "cpu"},
                                   options.items, root / f"managed-{round_}")
            managed.append(seconds)
            startups.append(details["server"]["startup_seconds"])
            stops.append(details["server"]["stop_seconds"])

        hand_run(-1)  # untimed: one-time imports and task loading count for neither side
        hand.clear()
        for round_ in range(options.rounds):
            for side in ((hand_run, managed_run) if round_ % 2 == 0 else (managed_run, hand_run)):
                side(round_)
            print(f"round {round_ + 1}: hand {hand[-1]:.2f} s | managed {managed[-1]:.2f} s = start-up "
                  f"{startups[-1]:.2f} s + run {managed[-1] - startups[-1] - stops[-1]:.2f} s + stop "
                  f"{stops[-1]:.2f} s", flush=True)
    hand_total = sum(hand)
    managed_total = sum(managed) - sum(startups) - sum(stops)
    print(f"\n{options.items} items × {options.rounds} rounds, max_tokens={options.max_tokens}, concurrency=2")
    print(f"launch to first request (managed): {min(startups):.2f}–{max(startups):.2f} s")
    print(f"hand-started run time:             {hand_total:.2f} s")
    print(f"managed run time minus start-up and stop: {managed_total:.2f} s "
          f"(ratio {managed_total / hand_total:.3f}; with stop: {(managed_total + sum(stops)) / hand_total:.3f})")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
