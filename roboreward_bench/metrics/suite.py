"""The metric suite: every configured metric, per subset, with episode-clustered bootstrap CIs."""

from __future__ import annotations

from typing import Any, Callable

from roboreward_bench.errors import RRBenchError, did_you_mean
from roboreward_bench.metrics import ordinal, pairwise, regression, success  # submodules
from roboreward_bench.metrics._inputs import encode, prepare
from roboreward_bench.metrics.bootstrap import bootstrap_cis_prepared
from roboreward_bench.metrics.episode_stats import BOOTSTRAP_METRICS
from roboreward_bench.metrics.types import MetricOptions, MetricReport, MetricValue, ScoringInput
from roboreward_bench.metrics.voc import value_order_correlation

GroupResult = tuple[dict[str, float | None], dict[str, Any]]


def _regression(d: ScoringInput, o: MetricOptions) -> GroupResult:
    args = (d.y_true, d.y_pred, d.valid)
    penalty = o.invalid_abs_error
    return {
        "mae_micro": regression.mae(*args, penalty),
        "mae_macro": regression.mae_macro(*args, d.subset, penalty),
        "rmse_micro": regression.rmse(*args, penalty),
        "rmse_macro": regression.rmse_macro(*args, d.subset, penalty),
    }, {}


def _ordinal(d: ScoringInput, o: MetricOptions) -> GroupResult:
    args = (d.y_true, d.y_pred, d.valid)
    rho, tau = ordinal.spearman(*args), ordinal.kendall_tau_b(*args)
    return {
        "exact_acc": ordinal.exact_accuracy(*args),
        "within1_acc": ordinal.within1_accuracy(*args),
        "qwk": ordinal.quadratic_weighted_kappa(*args),
        "spearman": rho.value,
        "kendall_tau_b": tau.value,
    }, {"spearman_excluded": rho.excluded, "kendall_tau_b_excluded": tau.excluded,
        "qwk_invalid_rule": "invalid answers take the label farthest from gold (1 if y>=3 else 5)"}


def _pairwise(d: ScoringInput, o: MetricOptions) -> GroupResult:
    names, codes = encode(d.episode_id)
    credit, pairs = pairwise.pair_scores_by_episode(d.y_true, d.y_pred, d.valid, codes, len(names))
    total = float(pairs.sum())
    return {"pairwise_acc": float(credit.sum() / total) if total > 0 else None}, {"pairs": int(total)}


def _success(d: ScoringInput, o: MetricOptions) -> GroupResult:
    args = (d.y_true, d.y_pred, d.valid)
    scores = success.success_scores(*args, o.success_threshold)
    has_probs = 0 if d.score_probs is None else int(success.rows_with_probs(d.score_probs).sum())
    return {
        "success_precision": scores.precision,
        "success_recall": scores.recall,
        "success_f1": scores.f1,
        "success_balanced_acc": scores.balanced_accuracy,
        "near_miss_fpr": success.near_miss_fpr(*args, o.success_threshold),
        "success_auroc": success.success_auroc(*args, d.score_probs),
    }, {"auroc_items_with_score_probs": has_probs, "success_threshold": o.success_threshold}


def _voc(d: ScoringInput, o: MetricOptions) -> GroupResult:
    result = value_order_correlation(d.y_true, d.y_pred, d.valid, d.episode_id, d.clip_end, d.kind)
    return {"voc": result.value}, {"voc_episodes": result.episodes}


def _best_of_n(d: ScoringInput, o: MetricOptions) -> GroupResult:
    # Gold success is always the top label; options.success_threshold is for predictions.
    result = pairwise.best_of_n(d.y_true, d.y_pred, d.valid, d.group_id, success_threshold=5.0)
    return {"best_of_n": result.value, "best_of_n_oracle": result.oracle,
            "best_of_n_random": result.random}, {"best_of_n_groups": result.groups}


GROUPS: dict[str, Callable[[ScoringInput, MetricOptions], GroupResult]] = {
    "regression": _regression, "ordinal": _ordinal, "pairwise": _pairwise,
    "success": _success, "voc": _voc, "best_of_n": _best_of_n,
}


def _missing_inputs(group: str, d: ScoringInput) -> str | None:
    if group == "voc" and (d.clip_end is None or d.kind is None):
        return "needs clip_end and kind"
    if group == "best_of_n" and d.group_id is None:
        return "needs group_id"
    return None


def _per_subset(d: ScoringInput, o: MetricOptions, with_pairs: bool) -> dict[str, dict[str, float | None]]:
    names, codes = encode(d.subset)
    table: dict[str, dict[str, float | None]] = {}
    for index, name in enumerate(names):
        mask = codes == index
        y, pred, ok = d.y_true[mask], d.y_pred[mask], d.valid[mask]
        row: dict[str, float | None] = {
            "n": int(mask.sum()),
            "mae": regression.mae(y, pred, ok, o.invalid_abs_error),
            "rmse": regression.rmse(y, pred, ok, o.invalid_abs_error),
            "exact_acc": ordinal.exact_accuracy(y, pred, ok),
            "within1_acc": ordinal.within1_accuracy(y, pred, ok),
            "invalid_rate": float((~ok).mean()),
            "error_rate": float(d.errored[mask].mean()),
        }
        if with_pairs:
            row["pairwise_acc"] = pairwise.pairwise_accuracy(y, pred, ok, d.episode_id[mask])
        table[str(name)] = row
    return table


def score(inputs: ScoringInput, options: MetricOptions = MetricOptions()) -> MetricReport:
    """Compute the metric groups in ``options.groups`` with 95% episode-bootstrap CIs.

    ``invalid_rate`` is the share of items scored by the penalty rule (invalid
    answers and errored items); ``error_rate`` the share that errored. voc
    runs only with ``clip_end`` and ``kind``, best_of_n only with
    ``group_id``; a skipped group is named in ``notes["skipped_groups"]``.
    Undefined values are None, never nan.
    """
    for group in options.groups:
        if group not in GROUPS:
            raise RRBenchError(f"metrics: unknown metric group {group!r}." + did_you_mean(group, list(GROUPS))
                               + f" Known groups: {', '.join(GROUPS)}")
    d = prepare(inputs)
    n = len(d)
    values: dict[str, float | None] = {}
    notes: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for group in options.groups:
        reason = _missing_inputs(group, d)
        if reason:
            skipped[group] = reason
            continue
        group_values, group_notes = GROUPS[group](d, options)
        values.update(group_values)
        notes.update(group_notes)
    values["invalid_rate"] = float((~d.valid).mean()) if n else None
    values["error_rate"] = float(d.errored.mean()) if n else None

    cis = bootstrap_cis_prepared(d, options, [name for name in values if name in BOOTSTRAP_METRICS])
    overall = {name: MetricValue(value, *cis.get(name, (None, None))) for name, value in values.items()}
    notes["skipped_groups"] = skipped
    notes["invalid_abs_error"] = options.invalid_abs_error
    notes["bootstrap"] = {"resamples": options.resamples, "seed": options.seed,
                          "unit": "episode" if d.cluster_id is None else "cluster",
                          "interval": "percentile 2.5-97.5", "metrics": sorted(cis)}
    counts = {
        "items": n, "invalid": int((~d.valid).sum()), "errors": int(d.errored.sum()),
        "episodes": int(len(encode(d.episode_id)[0])) if n else 0,
        "subsets": int(len(encode(d.subset)[0])) if n else 0,
    }
    with_pairs = "pairwise" in options.groups
    return MetricReport(overall=overall, per_subset=_per_subset(d, options, with_pairs),
                        counts=counts, notes=notes)
