"""Fit the ``text-only`` and ``video-only`` shortcut baselines on rrb-sim's train split.

    python scripts/train_shortcuts.py --train data/rrb-sim-train --build --val data/rrb-sim-val --build-val

``--build`` (re)generates the train split into ``--train`` first with ``rrbench
data build``'s own code (resumable; needs the ``[sim]`` extra). Features are
computed from the very requests ``rrbench eval`` sends (the task's frame
sampler and prompt), so training and evaluation see the same inputs. The
fitted pipelines are written as skops files plus ``shortcuts.json`` (training
facts and scores) into ``--out``, by default the package's ``shortcut_data/``.
Everything is seeded: the same data gives the same models.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from roboreward_bench.models.shortcut import DATA_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, help="train dataset folder (local format)")
    parser.add_argument("--build", action="store_true", help="generate the train split into --train first")
    parser.add_argument("--groups", type=int, help="groups per task for --build/--build-val (default: the split's)")
    parser.add_argument("--tasks", help="comma-separated Meta-World tasks for --build/--build-val (default: all)")
    parser.add_argument("--val", type=Path, help="dataset folder to report held-out scores on")
    parser.add_argument("--build-val", action="store_true", help="generate the val split into --val first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task", default="rrb-sim", help="task whose frame sampling and prompt the features follow")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder for the model files")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def build(split: str, out: Path, groups: int | None, tasks: str | None, workers: int) -> dict[str, Any]:
    """Generate ``split`` with ``data build``'s code path; returns what was built and how long it took."""
    from roboreward_bench.sim.build import build_split

    chosen = tuple(t.strip() for t in tasks.split(",")) if tasks else None
    report = build_split(split, out, workers=workers, groups_per_task=groups, tasks=chosen, progress=True)
    if report.failed_tasks:
        print(f"{split}: skipped tasks: {report.failed_tasks}")
    print(f"{split}: {report.planned} episodes ({report.ran} generated, {report.reused} reused), "
          f"{report.items} items in {report.seconds:.0f} s")
    return {"episodes": report.planned, "generated": report.ran, "seconds": round(report.seconds, 1)}


def featurise(root: Path, task: str, split: str) -> dict[str, Any]:
    """Labels, subsets and both feature sets of every item in ``root``, built from the
    requests ``rrbench eval`` would send (its own frame sampling and prompt code)."""
    from roboreward_bench.data.local import load_local_dataset
    from roboreward_bench.evaluation.runner import prepare
    from roboreward_bench.frames.sampler import FrameSampler
    from roboreward_bench.models.shortcut import text_input, video_input
    from roboreward_bench.tasks.registry import resolve_spec

    spec = resolve_spec(task)
    items = load_local_dataset(root, default_split=split).items
    sampler = FrameSampler(spec.frames, cache_bytes=256 << 20)
    texts, videos = [], []
    for unit in prepare(items, sampler, spec.prompt, spec.video_position):
        if unit.request is None:
            raise SystemExit(f"{root}: item {unit.item.item_id}: {unit.error}")
        texts.append(text_input(unit.request))
        videos.append(video_input(unit.request))
    return {"texts": texts, "videos": np.stack(videos), "labels": np.array([i.label for i in items]),
            "subsets": [i.subset for i in items], "episodes": len({i.episode_id for i in items}),
            "metadata_sha256": hashlib.sha256((root / "metadata.jsonl").read_bytes()).hexdigest(),
            "videos_count": len({i.file_name for i in items})}


def text_pipeline(seed: int):
    """Instruction words and word pairs (TF-IDF) → multinomial logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                         LogisticRegression(C=1.0, max_iter=5000, random_state=seed))


def video_pipeline(seed: int):
    """First/last-frame features → gradient-boosted depth-3 trees (200 rounds, no early stopping,
    so the fit uses no random validation split)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_depth=3,
                                                        early_stopping=False, random_state=seed))


def scores(estimator, inputs, labels: np.ndarray, subsets: list[str]) -> dict[str, float]:
    """MAE (micro and macro over subsets) and exact accuracy of the median answers."""
    from roboreward_bench.models.shortcut import label_probs, median_label

    probs = label_probs(estimator, estimator.predict_proba(inputs))
    answers = np.array([median_label(p) for p in probs])
    errors = np.abs(answers - labels)
    per_subset = [errors[[s == name for s in subsets]].mean() for name in sorted(set(subsets))]
    return {"mae": round(float(errors.mean()), 4), "mae_macro": round(float(np.mean(per_subset)), 4),
            "exact_acc": round(float((errors == 0).mean()), 4)}


def save(estimator, path: Path) -> None:
    """Write a skops file, and check the shipped loader would accept it."""
    import skops.io as sio

    from roboreward_bench.models.shortcut import EXTRA_TRUSTED

    sio.dump(estimator, path, compression=zipfile.ZIP_DEFLATED)
    refused = set(sio.get_untrusted_types(file=path)) - set(EXTRA_TRUSTED)
    if refused:
        raise SystemExit(f"{path}: holds types the loader refuses: {', '.join(sorted(refused))}")


def main(argv: Sequence[str] | None = None) -> None:
    import sklearn
    import skops

    from roboreward_bench.models.shortcut import FEATURE_VERSION, INFO_FILE, MODEL_FILES

    args = parse_args(argv)
    started = time.perf_counter()
    built = {}
    if args.build:
        built["train"] = build("train", args.train, args.groups, args.tasks, args.workers)
    if args.build_val:
        if args.val is None:
            raise SystemExit("--build-val needs --val DIR")
        built["val"] = build("val", args.val, args.groups, args.tasks, args.workers)
    t0 = time.perf_counter()
    train = featurise(args.train, args.task, "train")
    val = featurise(args.val, args.task, "val") if args.val else None
    print(f"features: {len(train['labels'])} train items"
          + (f", {len(val['labels'])} val items" if val else "") + f" in {time.perf_counter() - t0:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {}
    for name, make, key in (("text-only", text_pipeline, "texts"), ("video-only", video_pipeline, "videos")):
        t0 = time.perf_counter()
        estimator = make(args.seed).fit(train[key], train["labels"])
        fit_s = time.perf_counter() - t0
        result = {"train": scores(estimator, train[key], train["labels"], train["subsets"])}
        if val:
            result["val"] = scores(estimator, val[key], val["labels"], val["subsets"])
        path = args.out / MODEL_FILES[name]
        save(estimator, path)
        print(f"{name}: fitted in {fit_s:.1f} s, {path} ({path.stat().st_size / 1e3:.0f} kB); "
              + "; ".join(f"{split} " + ", ".join(f"{k} {v:.3f}" for k, v in s.items()) for split, s in result.items()))
        info[path.name] = {
            "modality": "text" if key == "texts" else "video", "feature_version": FEATURE_VERSION,
            "estimator": " → ".join(type(step).__name__ for _, step in estimator.steps), "seed": args.seed,
            "train": {"items": len(train["labels"]), "episodes": train["episodes"], "videos": train["videos_count"],
                      "metadata_sha256": train["metadata_sha256"],
                      "labels": {str(k): int(v) for k, v in sorted(Counter(train["labels"].tolist()).items())},
                      **({"build": built["train"]} if "train" in built else {})},
            "scores": result, "sklearn": sklearn.__version__, "skops": skops.__version__,
        }
    (args.out / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out / INFO_FILE}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
