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

from roboreward_bench.answer_rules import invalid_reason, preference_match
from roboreward_bench.data.items import Item
from roboreward_bench.metrics._inputs import encode
from roboreward_bench.metrics.types import MetricReport, MetricValue
from roboreward_bench.parsing import get_parser
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.tasks.spec import TaskSpec


def parsed_values(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> list[Any]:
    """Each item's parsed answer (None when invalid or errored), records aligned to items by id."""
    parse = get_parser(spec.parser)
    by_id = {r.item_id: r for r in records}
    return [None if by_id[i.item_id].error is not None else parse(by_id[i.item_id].raw_text).value for i in items]


def invalid_reasons(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> dict[str, int]:
    """Count of invalid or errored items by reason."""
    by_id = {r.item_id: r for r in records}
    values = parsed_values(spec, items, records)
    reasons = Counter(invalid_reason(spec.parser, by_id[item.item_id].raw_text, by_id[item.item_id].error is not None)
                      for item, value in zip(items, values) if value is None)
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


def _report(spec: TaskSpec, items: Sequence[Item], values: dict[str, float | None], per_item: dict[str, np.ndarray],
            valid: np.ndarray, errored: np.ndarray, notes: dict[str, Any],
            per_subset_row: Callable[[np.ndarray], dict[str, float | None]]) -> MetricReport:
    episodes = np.array([item.episode_id for item in items], dtype=object)
    subsets = np.array([item.subset for item in items], dtype=object)
    values = {**values, "invalid_rate": float((~valid).mean()) if len(items) else None,
              "error_rate": float(errored.mean()) if len(items) else None}
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
    rho, r = progress.spearman(y_true, y_pred, valid), progress.pearson(y_true, y_pred, valid)
    voc = progress.clip_voc(y_pred, valid, [i.episode_id for i in items], [i.metadata.get("clip_index") for i in items])
    per_item = {"mae": helm.abs_error, "mae_strict": strict.abs_error, "exact_match": helm.exact_match,
                "mse": helm.squared_error, "mse_strict": strict.squared_error}
    values = {name: float(v.mean()) if v.size else None for name, v in per_item.items()}
    values.update(spearman=rho.value, pearson=r.value, voc=voc.value)
    notes = {"invalid_abs_error": spec.invalid_rule.abs_error, "strict_invalid_abs_error": progress.STRICT_INVALID_ABS_ERROR,
             "unit": "percentage points", "correlations_excluded": rho.excluded, "voc_episodes": voc.episodes,
             "invalid_reasons": invalid_reasons(spec, items, records)}

    def subset_row(mask: np.ndarray) -> dict[str, float | None]:
        return {"mae": float(helm.abs_error[mask].mean()), "mae_strict": float(strict.abs_error[mask].mean())}

    return _report(spec, items, values, per_item, valid, errored, notes, subset_row)


def score_preference(spec: TaskSpec, items: Sequence[Item], records: Sequence[PredictionRecord]) -> MetricReport:
    """HELM's exact match over A / B / tie (accuracy with ties) and, with swap, order consistency."""
    from roboreward_bench.metrics import preference

    by_id = {r.item_id: r for r in records}
    parsed = parsed_values(spec, items, records)
    matches = np.array([preference_match(v, str(item.label)) for v, item in zip(parsed, items)], dtype=float)
    valid = np.array([v is not None for v in parsed], dtype=bool)
    errored = np.array([by_id[item.item_id].error is not None for item in items], dtype=bool)
    gold = np.array([str(item.label) for item in items], dtype=object)
    decisive = gold != "tie"
    values: dict[str, float | None] = {"accuracy": preference.accuracy(matches),
                                       "accuracy_decisive_pairs": preference.accuracy(matches[decisive]),
                                       "accuracy_tie_pairs": preference.accuracy(matches[~decisive])}
    notes: dict[str, Any] = {"gold_labels": preference.label_counts(list(gold)),
                             "predicted_labels": preference.label_counts(parsed),
                             "invalid_reasons": invalid_reasons(spec, items, records)}
    if spec.swap:
        consistency = preference.order_consistency([i.item_id for i in items], parsed,
                                                   [i.metadata.get("swap_of") for i in items])
        values.update(order_consistency=consistency.value, a_share=consistency.a_share)
        notes["swapped_pairs"] = consistency.pairs

    def subset_row(mask: np.ndarray) -> dict[str, float | None]:
        return {"accuracy": float(matches[mask].mean())}

    return _report(spec, items, values, {"accuracy": matches}, valid, errored, notes, subset_row)
