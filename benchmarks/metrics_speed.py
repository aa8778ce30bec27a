"""Speed of the metric suite: score() with 1,000 episode-bootstrap resamples on 100,000 items.

Target: < 2 s on a 2-core machine. The data are synthetic (random labels and
noisy predictions) and only exercise the code paths; they mean nothing.
Run: python benchmarks/metrics_speed.py [--items N] [--resamples B]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

TARGET_SECONDS = 2.0


def synthetic_input(n_items: int, n_episodes: int, n_subsets: int, invalid_share: float, seed: int = 0):
    from roboreward_bench.metrics.types import ScoringInput

    rng = np.random.default_rng(seed)
    episode = np.sort(rng.integers(0, n_episodes, n_items))
    y_true = rng.integers(1, 6, n_items)
    y_pred = np.clip(y_true + np.round(rng.normal(0, 1, n_items)), 1, 5)
    valid = rng.random(n_items) >= invalid_share
    errored = ~valid & (rng.random(n_items) < 0.2)
    y_pred[~valid] = np.nan
    probs = rng.dirichlet(np.ones(5), n_items)
    probs[rng.random(n_items) < 0.5] = np.nan
    return ScoringInput(
        y_true=y_true, y_pred=y_pred, valid=valid, errored=errored,
        subset=np.array([f"subset_{e % n_subsets:02d}" for e in episode]),
        episode_id=np.array([f"ep{e:06d}" for e in episode]),
        group_id=np.array([f"g{e // 4:06d}" for e in episode]),
        clip_end=rng.integers(-1, 200, n_items),
        kind=rng.choice(np.array(["full", "clip", "counterfactual"]), n_items),
        score_probs=probs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--subsets", type=int, default=23)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from roboreward_bench.metrics.suite import score
    from roboreward_bench.metrics.types import MetricOptions

    score(synthetic_input(200, 50, 3, 0.05), MetricOptions(resamples=10))  # import sklearn/scipy lazily
    print(f"import + warm-up: {time.perf_counter() - t0:.2f} s")

    data = synthetic_input(args.items, args.episodes, args.subsets, 0.05)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = score(data, MetricOptions(resamples=args.resamples, seed=0))
        times.append(time.perf_counter() - start)
    bootstrap_off = time.perf_counter()
    score(data, MetricOptions(resamples=0))
    point_only = time.perf_counter() - bootstrap_off
    print(f"items={report.counts['items']} episodes={report.counts['episodes']} "
          f"subsets={report.counts['subsets']} invalid={report.counts['invalid']} resamples={args.resamples}")
    print(f"score(): best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
          f"over {args.repeats} runs (point estimates only: {point_only:.2f} s)")
    verdict = "met" if min(times) < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
