"""Scoring for the progress and preference protocols, and invalid-answer reasons for all three.

Like the discrete suite, every number here is computed from a task's own
labels and the raw text of each record, re-parsed with the task's parser.
Errored items (no answer obtained) are scored like invalid answers and never
dropped. 95% CIs come from a percentile bootstrap that resamples whole
episodes (a progress episode's clips, or a pair and its B/A twin, together).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from roboreward_bench.answer_rules import preference_match
from roboreward_bench.data.items import Item
from roboreward_bench.evaluation.rows import Answer, read_answer
from roboreward_bench.metrics._inputs import encode
from roboreward_bench.metrics.types import MetricReport, MetricValue
from roboreward_bench.parsing import get_parser
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.tasks.spec import TaskSpec


def read_answers(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> list[Answer]:
    """Each item's reading by the task's parser (value, or None and the reason), records aligned by id."""
    parse = get_parser(spec.parser)
    by_id = {r.item_id: r for r in records}
    return [read_answer(by_id[i.item_id].raw_text, by_id[i.item_id].error, parse) for i in items]


def parsed_values(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> list[Any]:
    """Each item's parsed answer (None when invalid or errored)."""
    return [answer.parsed for answer in read_answers(spec, items, records)]


def invalid_reasons(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> dict[str, int]:
    """Count of invalid or errored items by reason."""
    reasons = Counter(a.invalid_reason for a in read_answers(spec, items, records) if a.invalid_reason is not None)
    return dict(sorted(reasons.items()))


def cluster_ci(values: np.ndarray, clusters: np.ndarray, resamples: int, seed: int) -> tuple[float | None, ...]:
    """95% percentile CI of the mean of ``values``, resampling whole clusters."""
    if values.size == 0 or resamples < 1:
        return None, None
    _, codes = encode(clusters)
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes).astype(float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, sums.size, size=(resamples, sums.size))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _report(spec: TaskSpec, items: Sequence[Item], cols: dict[str, Any], ci_columns: dict[str, str],
            valid: np.ndarray, errored: np.ndarray, notes: dict[str, Any],
            per_subset_row: Callable[[np.ndarray], dict[str, float | None]]) -> MetricReport:
    """Every catalogue metric of the protocol from ``cols``; those named in ``ci_columns`` (a mean of
    that per-item column) get a 95% episode-bootstrap CI."""
    from roboreward_bench.metrics.catalogue import metrics_of

    episodes = np.array([item.episode_id for item in items], dtype=object)
    subsets = np.array([item.subset for item in items], dtype=object)
    values: dict[str, float | None] = {m.name: m.function(cols) for m in metrics_of((spec.protocol,), spec.protocol)}
    values = {name: value for name, value in values.items() if not (name in ("order_consistency", "a_share")
                                                                     and cols.get("consistency") is None)}
    values.update(invalid_rate=float((~valid).mean()) if len(items) else None,
                  error_rate=float(errored.mean()) if len(items) else None)
    per_item = {name: np.asarray(cols[column], dtype=float) for name, column in ci_columns.items()}
    per_item.update(invalid_rate=(~valid).astype(float), error_rate=errored.astype(float))
    boot = spec.bootstrap
    overall = {name: MetricValue(value, *(cluster_ci(per_item[name], episodes, boot.resamples, boot.seed)
                                          if name in per_item else (None, None)))
               for name, value in values.items()}
    names, codes = encode(subsets)
    per_subset = {str(name): {"n": int((codes == k).sum()), **per_subset_row(codes == k),
                              "invalid_rate": float((~valid[codes == k]).mean()),
                              "error_rate": float(errored[codes == k].mean())} for k, name in enumerate(names)}
    notes = {**notes, "bootstrap": {"resamples": boot.resamples, "seed": boot.seed, "unit": "episode",
                                    "interval": "percentile 2.5-97.5", "metrics": sorted(per_item)}}
    counts = {"items": len(items), "invalid": int((~valid).sum()), "errors": int(errored.sum()),
              "episodes": int(len(set(episodes.tolist()))), "subsets": int(len(names))}
    return MetricReport(overall=overall, per_subset=per_subset, counts=counts, notes=notes)


def score_progress(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> MetricReport:
    """HELM's per-item stats (invalid = 4) and the strict variant (invalid = 100), MAE in percentage
    points, Spearman, Pearson and VOC over the clips of an episode."""
    from roboreward_bench.metrics import progress  # scipy: imported only for this protocol

    by_id = {r.item_id: r for r in records}
    parsed = parsed_values(spec, items, records)
    y_true = np.array([float(item.label) for item in items])
    y_pred = np.array([np.nan if v is None else float(v) for v in parsed])
    valid = ~np.isnan(y_pred)
    errored = np.array([by_id[item.item_id].error is not None for item in items], dtype=bool)
    helm = progress.item_stats(y_true, y_pred, valid, spec.invalid_rule.abs_error)
    strict = progress.item_stats(y_true, y_pred, valid, progress.STRICT_INVALID_ABS_ERROR)
    cols = {"abs": helm.abs_error, "abs_strict": strict.abs_error, "squared": helm.squared_error,
            "exact": helm.exact_match, "y_true": y_true, "y_pred": y_pred, "valid": valid,
            "episode": [i.episode_id for i in items], "clip_index": [i.metadata.get("clip_index") for i in items]}
    ci_columns = {"progress_mae": "abs", "progress_mae_strict": "abs_strict", "progress_mse": "squared",
                  "progress_exact_match": "exact"}
    voc = progress.clip_voc(y_pred, valid, cols["episode"], cols["clip_index"])
    notes = {"invalid_abs_error": spec.invalid_rule.abs_error, "strict_invalid_abs_error": progress.STRICT_INVALID_ABS_ERROR,
             "unit": "percentage points", "correlations_excluded": int((~valid).sum()), "voc_episodes": voc.episodes,
             "invalid_by_reason": invalid_reasons(spec, items, records)}

    def subset_row(mask: np.ndarray) -> dict[str, float | None]:
        return {"progress_mae": float(helm.abs_error[mask].mean()),
                "progress_mae_strict": float(strict.abs_error[mask].mean())}

    return _report(spec, items, cols, ci_columns, valid, errored, notes, subset_row)


def score_preference(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> MetricReport:
    """HELM's exact match over A / B / tie (accuracy with ties) and, with swap, order consistency."""
    from roboreward_bench.metrics import preference

    by_id = {r.item_id: r for r in records}
    parsed = parsed_values(spec, items, records)
    matches = np.array([preference_match(v, str(item.label)) for v, item in zip(parsed, items)], dtype=float)
    valid = np.array([v is not None for v in parsed], dtype=bool)
    errored = np.array([by_id[item.item_id].error is not None for item in items], dtype=bool)
    gold = np.array([str(item.label) for item in items], dtype=object)
    cols: dict[str, Any] = {"match": matches, "decisive": gold != "tie", "consistency": None}
    notes: dict[str, Any] = {"gold_labels": preference.label_counts(list(gold)),
                             "predicted_labels": preference.label_counts(parsed),
                             "invalid_by_reason": invalid_reasons(spec, items, records)}
    if spec.swap:
        cols["consistency"] = preference.order_consistency([i.item_id for i in items], parsed,
                                                           [i.metadata.get("swap_of") for i in items])
        notes["swapped_pairs"] = cols["consistency"].pairs

    def subset_row(mask: np.ndarray) -> dict[str, float | None]:
        return {"preference_accuracy": float(matches[mask].mean())}

    return _report(spec, items, cols, {"preference_accuracy": "match"}, valid, errored, notes, subset_row)


SCORERS = {"progress": score_progress, "preference": score_preference}
