"""hf backend: share of wall time spent outside the model's ``generate``, with the tiny Qwen2.5-VL.

Runs the real ``rrbench eval`` pipeline in-process (``evaluate``: load items,
decode and sample frames, build requests, call the model in batches, parse,
append predictions.jsonl, score with bootstrap CIs, write results.json) with
the tiny random Qwen2.5-VL built offline, and splits the wall time:

- model load (weights + processor, once; reported apart and excluded, since it
  does not grow with the item count);
- the harness: everything outside ``RewardModel.generate``;
- inside ``RewardModel.generate``: the backend's own work (chat template,
  video processor, tensors, decoding text) and transformers' ``generate``.

Target: harness ≤ 5% of the total (excluding load). The response cache is off
so every item reaches the model. torch and transformers are imported before
timing.

    python benchmarks/hf_harness_overhead.py [--videos 32] [--batch-size 4] [--max-new-tokens 16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cache_rerun import build_dataset  # noqa: E402
from roboreward_bench.evaluation import evaluate as evaluate_module  # noqa: E402
from roboreward_bench.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402
from roboreward_bench.models import registry  # noqa: E402
from roboreward_bench.models.hf_backend import build_hf_model  # noqa: E402
from tiny_models import tiny_model_dir  # noqa: E402


class TimedModel:
    """Wraps a reward model and times its ``generate`` calls (the instrument, not the thing measured)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.seconds = 0.0

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def describe(self):
        return self.inner.describe()

    def generate(self, requests):
        started = time.perf_counter()
        try:
            return self.inner.generate(requests)
        finally:
            self.seconds += time.perf_counter() - started


class Stopwatch:
    """Times calls of a function (used to split metrics scoring out of the harness share)."""

    def __init__(self, function) -> None:
        self.function = function
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--num-frames", type=int, default=16)
    args = parser.parse_args()
    import torch  # noqa: F401  (imports outside the timed region)
    import transformers  # noqa: F401

    timed: list[TimedModel] = []

    def factory(argument, model_args, context):
        timed.append(TimedModel(build_hf_model(argument, model_args, context)))
        return timed[-1]

    registry.register_model("hf-timed")(factory)
    scoring = Stopwatch(evaluate_module.score_records)
    evaluate_module.score_records = scoring
    folder = tiny_model_dir("qwen2.5-vl")
    with tempfile.TemporaryDirectory() as tmp:
        items = build_dataset(Path(tmp) / "data", args.videos)
        config = EvalConfig(task=str(Path(tmp) / "data"), model=f"hf-timed:{folder}",
                            model_args={"batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens},
                            num_frames=args.num_frames, output_dir=Path(tmp) / "run", use_cache=False,
                            progress=False)
        started = time.perf_counter()
        outcome = evaluate(config)
        wall = time.perf_counter() - started
    model = timed[0]
    load = model.inner.load_seconds
    total = wall - load
    in_model = model.seconds - load
    transformers_generate = model.inner.generate_seconds
    harness = total - in_model
    backend = in_model - transformers_generate
    print(f"{items} items ({args.videos} real 224 px MP4s), {args.num_frames} frames, batch {args.batch_size}, "
          f"max_new_tokens {args.max_new_tokens}; errors {len(outcome.errors)}")
    print(f"model load (excluded):                 {load:7.2f} s")
    print(f"total excluding load:                  {total:7.2f} s   ({total / items * 1000:.0f} ms/item)")
    print(f"  transformers generate:               {transformers_generate:7.2f} s   "
          f"{transformers_generate / total * 100:5.1f}%")
    print(f"  hf backend around generate:          {backend:7.2f} s   {backend / total * 100:5.1f}%   "
          f"(template, video processor, tensors, decode)")
    print(f"  harness outside RewardModel.generate:{harness:7.2f} s   {harness / total * 100:5.1f}%   (target <= 5%)")
    print(f"    of which metrics + bootstrap CIs:  {scoring.seconds:7.2f} s   {scoring.seconds / total * 100:5.1f}%   "
          f"(once per run, includes lazy scipy/sklearn imports)")


if __name__ == "__main__":
    main()
