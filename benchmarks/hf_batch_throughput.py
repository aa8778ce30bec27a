"""hf backend on CPU: throughput at batch 8 against batch 1, and the share of time outside ``generate``.

Runs the real ``rrbench eval`` pipeline in-process (``evaluate``) on the first
N items of rrb-sim-dev with the tiny random Qwen2.5-VL, once with
``batch_size=1`` and once with ``batch_size=8`` (alternating over rounds, after
one untimed warm-up run that loads everything once), with the response cache
off. For each it prints items per second (model load excluded: it is timed by
the backend and subtracted) and the share of that time spent outside
transformers' ``generate`` (frame decoding, chat template, video processor,
tensors, parsing, writing, scoring).

    python benchmarks/hf_batch_throughput.py [--items 32] [--rounds 2] [--max-new-tokens 16]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402
from tiny_models import tiny_model_dir  # noqa: E402


def run(model_dir: Path, batch: int, items: int, tokens: int, out: Path) -> tuple[float, float]:
    """(seconds without model load, seconds inside transformers' generate)."""
    config = EvalConfig(task="rrb-sim-dev", model=f"hf:{model_dir}",
                        model_args={"batch_size": batch, "max_new_tokens": tokens}, limit=items, output_dir=out,
                        fresh=True, use_cache=False, progress=False)
    started = time.perf_counter()
    outcome = evaluate(config)
    seconds = time.perf_counter() - started
    assert not outcome.errors, outcome.errors[:3]
    details = json.loads((out / "results.json").read_text())["model"]["details"]
    return seconds - details["load_seconds"], details["generate_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    options = parser.parse_args()
    model_dir = tiny_model_dir("qwen2.5-vl")
    totals = {1: [0.0, 0.0], 8: [0.0, 0.0]}
    with tempfile.TemporaryDirectory(prefix="rrbench-bench-") as tmp:
        run(model_dir, 8, 8, options.max_new_tokens, Path(tmp) / "warm-up")
        for round_ in range(options.rounds):
            for batch in ((1, 8) if round_ % 2 == 0 else (8, 1)):
                seconds, in_generate = run(model_dir, batch, options.items, options.max_new_tokens,
                                           Path(tmp) / f"b{batch}-{round_}")
                totals[batch][0] += seconds
                totals[batch][1] += in_generate
                print(f"round {round_ + 1} batch {batch}: {seconds:.2f} s, generate {in_generate:.2f} s", flush=True)
    print(f"\n{options.items} items of rrb-sim-dev × {options.rounds} rounds, max_new_tokens={options.max_new_tokens}, "
          f"tiny Qwen2.5-VL on CPU")
    rates = {}
    for batch, (seconds, in_generate) in totals.items():
        rates[batch] = options.items * options.rounds / seconds
        print(f"batch {batch}: {rates[batch]:.2f} items/s; outside generate {100 * (1 - in_generate / seconds):.1f}% "
              f"of the time")
    print(f"throughput batch 8 / batch 1: {rates[8] / rates[1]:.2f}×")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
