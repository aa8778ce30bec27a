"""score(): the assembled report, its edge cases, and that it never holds nan."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from roboreward_bench.errors import RRBenchError
from roboreward_bench.metrics import regression
from roboreward_bench.metrics.suite import score
from roboreward_bench.metrics.types import MetricOptions, MetricReport, ScoringInput

pytestmark = pytest.mark.filterwarnings("error")

ALL_NAMES = [
    "mae_micro", "mae_macro", "rmse_micro", "rmse_macro", "exact_acc", "within1_acc", "qwk", "spearman",
    "kendall_tau_b", "pairwise_acc", "success_precision", "success_recall", "success_f1",
    "success_balanced_acc", "near_miss_fpr", "success_auroc", "voc", "best_of_n", "best_of_n_oracle",
    "best_of_n_random", "invalid_rate", "error_rate",
]
CI_REQUIRED = ["mae_micro", "mae_macro", "rmse_micro", "exact_acc", "within1_acc", "qwk", "pairwise_acc",
               "success_f1", "near_miss_fpr", "invalid_rate"]
FAST = MetricOptions(resamples=100)


def full_input(seed: int = 0, n_episodes: int = 80, subsets: int = 3) -> ScoringInput:
    rng = np.random.default_rng(seed)
    episode_ids, ends, kinds = [], [], []
    for e in range(n_episodes):
        k = int(rng.integers(1, 5))
        episode_ids += [f"ep{e}"] * (k + 1)
        ends += sorted(rng.integers(5, 100, k).tolist()) + [-1]
        kinds += ["clip"] * k + ["full"]
    n = len(episode_ids)
    y = rng.integers(1, 6, n)
    pred = np.clip(y + rng.integers(-1, 2, n), 1, 5).astype(float)
    valid = rng.random(n) > 0.08
    errored = ~valid & (rng.random(n) < 0.5)
    pred[~valid] = np.nan
    episode = np.array(episode_ids)
    return ScoringInput(
        y_true=y, y_pred=pred, valid=valid, errored=errored,
        subset=np.array([f"s{int(e[2:]) % subsets}" for e in episode]), episode_id=episode,
        group_id=np.array([f"g{int(e[2:]) // 3}" for e in episode]), clip_end=np.array(ends),
        kind=np.array(kinds), score_probs=None,
    )


def assert_no_nan(report: MetricReport) -> None:
    for name, value in report.overall.items():
        for x in (value.value, value.ci_low, value.ci_high):
            assert x is None or (isinstance(x, float) and math.isfinite(x)), (name, value)
    for subset, row in report.per_subset.items():
        for name, x in row.items():
            assert x is None or math.isfinite(x), (subset, name, x)


def test_report_has_every_metric_with_required_cis_and_counts():
    data = full_input()
    report = score(data, FAST)
    assert list(report.overall) == ALL_NAMES
    for name in CI_REQUIRED:
        v = report.overall[name]
        assert v.ci_low <= v.value <= v.ci_high, name
    invalid = int((~data.valid).sum())
    assert report.counts == {"items": len(data), "invalid": invalid, "errors": int(data.errored.sum()),
                             "episodes": 80, "subsets": 3}
    assert report.notes["spearman_excluded"] == invalid
    assert report.overall["invalid_rate"].value == pytest.approx(invalid / len(data))
    assert set(report.per_subset) == {"s0", "s1", "s2"}
    row = report.per_subset["s1"]
    mask = data.subset == "s1"
    assert row["n"] == mask.sum()
    assert row["mae"] == pytest.approx(regression.abs_errors(data.y_true[mask], data.y_pred[mask],
                                                             data.valid[mask]).mean())
    assert {"rmse", "exact_acc", "within1_acc", "invalid_rate", "pairwise_acc"} <= set(row)
    assert report.overall["mae_macro"].value == pytest.approx(
        np.mean([r["mae"] for r in report.per_subset.values()]))
    assert_no_nan(report)


def test_one_subset_macro_equals_micro():
    report = score(full_input(1, subsets=1), FAST)
    o = report.overall
    assert o["mae_macro"].value == pytest.approx(o["mae_micro"].value)
    assert o["rmse_macro"].value == pytest.approx(o["rmse_micro"].value)
    assert (o["mae_macro"].ci_low, o["mae_macro"].ci_high) == pytest.approx((o["mae_micro"].ci_low,
                                                                             o["mae_micro"].ci_high))


def test_all_invalid_scores_the_full_penalty():
    data = full_input(2)
    n = len(data)
    broken = replace(data, y_pred=np.full(n, np.nan), valid=np.zeros(n, bool))
    report = score(broken, FAST)
    o = report.overall
    assert o["mae_micro"].value == o["mae_macro"].value == 4.0
    assert o["rmse_micro"].value == 4.0 and (o["mae_micro"].ci_low, o["mae_micro"].ci_high) == (4.0, 4.0)
    assert o["exact_acc"].value == 0.0 and o["within1_acc"].value == 0.0
    assert o["invalid_rate"].value == 1.0
    assert o["spearman"].value is None and report.notes["spearman_excluded"] == n
    assert o["pairwise_acc"].value == 0.0
    assert o["qwk"].value < 0
    assert o["voc"].value is None
    assert_no_nan(report)


def test_errored_items_are_penalised_even_if_a_value_slipped_through():
    from roboreward_bench.evaluation.rows import ERRORED, stored_answer
    from roboreward_bench.results.predictions import PredictionRecord

    # A record with an error but a stored value: the scored row, not the metrics, decides it is invalid.
    slipped = PredictionRecord("a", "ANSWER: 5", parsed=5.0, valid=True, error="timeout")
    assert stored_answer(slipped).parsed is None and stored_answer(slipped).invalid_reason == ERRORED
    data = full_input(3)
    errored = np.zeros(len(data), bool)
    errored[:5] = True
    perfect = replace(data, y_pred=np.where(errored, np.nan, data.y_true.astype(float)), valid=~errored,
                      errored=errored)
    report = score(perfect, FAST)
    assert report.overall["mae_micro"].value == pytest.approx(4.0 * 5 / len(data))
    assert report.counts["errors"] == 5 and report.counts["invalid"] == 5
    assert report.overall["error_rate"].value == pytest.approx(5 / len(data))


def test_constant_predictions():
    data = full_input(4)
    constant = replace(data, y_pred=np.full(len(data), 3.0), valid=np.ones(len(data), bool),
                       errored=np.zeros(len(data), bool))
    o = score(constant, FAST).overall
    assert o["spearman"].value is None and o["kendall_tau_b"].value is None
    assert o["qwk"].value == pytest.approx(0.0)
    assert o["pairwise_acc"].value == 0.5
    assert o["voc"].value == 0.0
    assert o["success_precision"].value is None and o["success_recall"].value == 0.0
    assert o["best_of_n"].value == pytest.approx(o["best_of_n_random"].value)


def test_single_class_present():
    data = full_input(5)
    all_success = replace(data, y_true=np.full(len(data), 5))
    o = score(all_success, FAST).overall
    assert o["success_auroc"].value is None
    assert o["success_balanced_acc"].value is None
    assert o["near_miss_fpr"].value is None and o["near_miss_fpr"].ci_low is None
    assert o["pairwise_acc"].value is None
    assert o["success_recall"].value is not None


def test_empty_groups_and_missing_inputs():
    data = full_input(6)
    singletons = replace(data, group_id=np.arange(len(data)).astype(str))
    report = score(singletons, FAST)
    assert report.overall["best_of_n"].value is None and report.notes["best_of_n_groups"] == 0
    bare = replace(data, group_id=None, clip_end=None, kind=None)
    report = score(bare, FAST)
    assert "voc" not in report.overall and "best_of_n" not in report.overall
    assert set(report.notes["skipped_groups"]) == {"voc", "best_of_n"}
    only = score(data, MetricOptions(groups=("regression",), resamples=20))
    assert list(only.overall) == ["mae_micro", "mae_macro", "rmse_micro", "rmse_macro",
                                  "invalid_rate", "error_rate"]
    assert "pairwise_acc" not in only.per_subset["s0"]


def test_no_items_gives_nones_not_errors():
    empty = ScoringInput(np.zeros(0, int), np.zeros(0), np.zeros(0, bool), np.zeros(0, bool),
                         np.zeros(0, str), np.zeros(0, str), np.zeros(0, str), np.zeros(0, int),
                         np.zeros(0, str))
    report = score(empty, FAST)
    assert all(v.value is None for v in report.overall.values())
    assert report.counts == {"items": 0, "invalid": 0, "errors": 0, "episodes": 0, "subsets": 0}


def test_bad_input_is_a_one_line_error():
    data = full_input(7)
    with pytest.raises(RRBenchError, match="gold label 6 of item #0"):
        score(replace(data, y_true=np.r_[6, data.y_true[1:]]), FAST)
    with pytest.raises(RRBenchError, match="subset has 3 entries"):
        score(replace(data, subset=data.subset[:3]), FAST)
    with pytest.raises(RRBenchError, match="Did you mean 'ordinal'"):
        score(data, MetricOptions(groups=("ordinl",)))


def test_score_probs_feed_auroc():
    data = full_input(8)
    # Probabilities that know the answer exactly: AUROC 1 even though ŷ is noisy.
    probs = np.eye(5)[data.y_true - 1]
    assert score(replace(data, score_probs=probs), FAST).overall["success_auroc"].value == 1.0
    assert score(data, FAST).overall["success_auroc"].value < 1.0


def test_report_does_not_depend_on_item_order():
    data = full_input(9)
    order = np.random.default_rng(9).permutation(len(data))
    shuffled = ScoringInput(*(None if a is None else a[order] for a in (
        data.y_true, data.y_pred, data.valid, data.errored, data.subset, data.episode_id,
        data.group_id, data.clip_end, data.kind, data.score_probs)))
    first, second = score(data, FAST), score(shuffled, FAST)
    for name, value in first.overall.items():
        other = second.overall[name]
        assert (value.value, value.ci_low, value.ci_high) == pytest.approx(
            (other.value, other.ci_low, other.ci_high), nan_ok=True), name
    assert first.per_subset.keys() == second.per_subset.keys()
    for subset, row in first.per_subset.items():
        assert row == pytest.approx(second.per_subset[subset]), subset
