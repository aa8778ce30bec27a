"""Regression, ordinal, success and win-rate metrics against independent computations.

Each reference below is written out item by item (or delegated to sklearn /
scipy on inputs the test filters itself), never by calling the code under test.
Catalogue metrics are read through the public path, :func:`score`.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr
from sklearn.metrics import cohen_kappa_score

from roboreward_bench.metrics import ordinal, regression, success
from roboreward_bench.metrics.suite import score
from roboreward_bench.metrics.types import MetricOptions, ScoringInput
from roboreward_bench.metrics.winrate import mean_win_rate

pytestmark = pytest.mark.filterwarnings("error")


def messy_predictions(seed: int, n: int = 400):
    """Gold 1..5 and predictions mixing exact, off-by-some, fractional, out-of-range and invalid."""
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 6, n)
    pred = np.clip(y + rng.integers(-2, 3, n), 1, 5).astype(float)
    odd = rng.random(n) < 0.15
    pred[odd] = rng.choice([0.0, 2.5, 3.5, 4.49, 6.0, 7.2, -1.0, 1.5], odd.sum())
    valid = rng.random(n) > 0.1
    pred[~valid & (rng.random(n) < 0.5)] = np.nan          # invalid rows: nan or leftover junk
    subset = rng.choice(np.array(["bridge", "droid", "fractal", "viola"]), n)
    return y, pred, valid, subset


def value(name, y, pred, valid, subset=None, threshold=5.0, penalty=4.0):
    """One catalogue metric's point value, each item its own episode."""
    n = len(y)
    inputs = ScoringInput(np.asarray(y, dtype=int), np.asarray(pred, dtype=float), np.asarray(valid, dtype=bool),
                          np.zeros(n, dtype=bool), np.asarray(["all"] * n if subset is None else subset),
                          np.arange(n).astype(str))
    options = MetricOptions(resamples=0, success_threshold=threshold, invalid_abs_error=penalty)
    return score(inputs, options).overall[name].value


def scorable(p, v) -> bool:
    return bool(v) and math.isfinite(p)


def ref_abs_error(y, p, v, penalty=4.0) -> float:
    return abs(p - y) if scorable(p, v) else penalty


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mae_rmse_micro_and_macro_match_item_loops(seed):
    y, pred, valid, subset = messy_predictions(seed)
    errors = [ref_abs_error(a, b, c) for a, b, c in zip(y, pred, valid)]
    assert value("mae_micro", y, pred, valid) == pytest.approx(sum(errors) / len(errors))
    assert value("rmse_micro", y, pred, valid) == pytest.approx(math.sqrt(sum(e * e for e in errors) / len(errors)))
    by_subset: dict[str, list[float]] = {}
    for e, s in zip(errors, subset):
        by_subset.setdefault(s, []).append(e)
    macro = sum(sum(v) / len(v) for v in by_subset.values()) / len(by_subset)
    macro_rmse = sum(math.sqrt(sum(x * x for x in v) / len(v)) for v in by_subset.values()) / len(by_subset)
    assert value("mae_macro", y, pred, valid, subset) == pytest.approx(macro)
    assert value("rmse_macro", y, pred, valid, subset) == pytest.approx(macro_rmse)


def test_penalty_is_configurable_and_squared():
    y = np.array([1, 5])
    pred = np.array([np.nan, 5.0])
    valid = np.array([False, True])
    assert regression.abs_errors(y, pred, valid, invalid_abs_error=3.0).tolist() == [3.0, 0.0]
    assert (regression.abs_errors(y, pred, valid) ** 2).tolist() == [16.0, 0.0]


def test_unclamped_prediction_is_scored_as_is():
    assert value("mae_micro", [5], [7.5], [True]) == pytest.approx(2.5)


@pytest.mark.parametrize("seed", [3, 4])
def test_exact_and_within1_count_invalid_as_wrong(seed):
    y, pred, valid, _ = messy_predictions(seed)
    exact = [scorable(p, v) and p == t for t, p, v in zip(y, pred, valid)]
    within = [scorable(p, v) and abs(p - t) <= 1 for t, p, v in zip(y, pred, valid)]
    assert value("exact_acc", y, pred, valid) == pytest.approx(sum(exact) / len(y))
    assert value("within1_acc", y, pred, valid) == pytest.approx(sum(within) / len(y))


def ref_qwk_category(t, p, v) -> int:
    if not scorable(p, v):
        return 1 if t >= 3 else 5
    rounded = int(Decimal(repr(float(p))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(5, max(1, rounded))


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_qwk_matches_sklearn_on_penalised_categories(seed):
    y, pred, valid, _ = messy_predictions(seed)
    categories = [ref_qwk_category(t, p, v) for t, p, v in zip(y, pred, valid)]
    expected = cohen_kappa_score(y, categories, labels=[1, 2, 3, 4, 5], weights="quadratic")
    assert value("qwk", y, pred, valid) == pytest.approx(expected)


def test_qwk_rounds_half_up_and_penalises_invalid():
    y = np.array([1, 2, 3, 4, 5, 2])
    pred = np.array([1.5, 2.49, 0.2, 9.0, np.nan, np.nan])
    valid = np.array([True, True, True, True, False, False])
    assert ordinal.qwk_categories(y, pred, valid).tolist() == [2, 2, 1, 5, 1, 5]


def test_qwk_undefined_is_none():
    assert value("qwk", [3, 3], [3.0, 3.0], [True, True]) is None
    assert value("qwk", [], [], []) is None


@pytest.mark.parametrize("seed", [8, 9])
def test_rank_correlations_use_valid_items_and_report_exclusions(seed):
    y, pred, valid, _ = messy_predictions(seed)
    keep = [scorable(p, v) for p, v in zip(pred, valid)]
    gold = [t for t, k in zip(y, keep) if k]
    guess = [p for p, k in zip(pred, keep) if k]
    rho = ordinal.spearman(y, pred, valid)
    tau = ordinal.kendall_tau_b(y, pred, valid)
    assert rho.value == pytest.approx(spearmanr(gold, guess).statistic)
    assert tau.value == pytest.approx(kendalltau(gold, guess).statistic)
    assert rho.excluded == tau.excluded == len(y) - len(gold) > 0


def test_rank_correlations_undefined_cases_are_none():
    assert ordinal.spearman([1, 2, 3], [2.0, 2.0, 2.0], [True] * 3).value is None
    assert ordinal.kendall_tau_b([4, 4, 4], [1.0, 2.0, 3.0], [True] * 3).value is None
    only_one = ordinal.spearman([1, 2, 3], [1.0, np.nan, np.nan], [True, False, False])
    assert only_one == (None, 2)


def ref_success_counts(y, pred, valid, threshold):
    tp = fp = fn = tn = 0
    for t, p, v in zip(y, pred, valid):
        called = scorable(p, v) and p >= threshold
        if t == 5 and called:
            tp += 1
        elif t == 5:
            fn += 1
        elif called:
            fp += 1
        else:
            tn += 1
    return tp, fp, fn, tn


@pytest.mark.parametrize("seed,threshold", [(10, 5.0), (11, 4.5), (12, 4.0)])
def test_success_scores_match_confusion_counts(seed, threshold):
    y, pred, valid, _ = messy_predictions(seed)
    tp, fp, fn, tn = ref_success_counts(y, pred, valid, threshold)
    def scored(name):
        return value(name, y, pred, valid, threshold=threshold)

    assert scored("success_precision") == pytest.approx(tp / (tp + fp))
    assert scored("success_recall") == pytest.approx(tp / (tp + fn))
    assert scored("success_f1") == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert scored("success_balanced_acc") == pytest.approx((tp / (tp + fn) + tn / (tn + fp)) / 2)
    near = [(scorable(p, v) and p >= threshold) for t, p, v in zip(y, pred, valid) if t == 4]
    assert scored("near_miss_fpr") == pytest.approx(sum(near) / len(near))


def test_invalid_answer_is_never_a_predicted_success():
    assert success.predicted_success([9.0, 5.0], [False, True]).tolist() == [False, True]


def test_success_undefined_cases_are_none():
    all_success = ([5, 5, 5], [5.0, 3.0, np.nan], [True, True, False])
    assert value("success_recall", *all_success) == pytest.approx(1 / 3)
    assert value("success_balanced_acc", *all_success) is None
    nothing_called = ([5, 1], [3.0, 3.0], [True, True])
    assert value("success_precision", *nothing_called) is None and value("success_f1", *nothing_called) == 0.0
    assert value("near_miss_fpr", [5, 1], [5.0, 1.0], [True, True]) is None
    assert success.success_auroc([5, 5], [5.0, 1.0], [True, True]) is None
    assert success.success_auroc([1, 2], [5.0, 1.0], [True, True]) is None


def ref_auroc(labels, scores) -> float:
    pos = [s for l, s in zip(labels, scores) if l]
    neg = [s for l, s in zip(labels, scores) if not l]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def test_auroc_uses_expected_score_where_probs_exist_else_prediction():
    y, pred, valid, _ = messy_predictions(13, n=300)
    rng = np.random.default_rng(13)
    probs = rng.dirichlet(np.ones(5), len(y)) * 0.9            # top-k style mass < 1
    probs[rng.random(len(y)) < 0.4] = np.nan
    ranking = []
    for p, v, row in zip(pred, valid, probs):
        if np.isfinite(row).all():
            ranking.append(sum(k * q for k, q in zip(range(1, 6), row)) / sum(row))
        else:
            ranking.append(p if scorable(p, v) else 0.0)
    labels = [t == 5 for t in y]
    assert success.success_auroc(y, pred, valid, probs) == pytest.approx(ref_auroc(labels, ranking))
    plain = [p if scorable(p, v) else 0.0 for p, v in zip(pred, valid)]
    assert success.success_auroc(y, pred, valid) == pytest.approx(ref_auroc(labels, plain))


def test_mean_win_rate_hand_worked_with_ties():
    mae = {
        "a": {"s1": 0.5, "s2": 1.0},
        "b": {"s1": 0.5, "s2": 2.0},
        "c": {"s1": 1.0, "s2": 1.0},
    }
    # s1: a ties b (½) and beats c → 0.75; b same 0.75; c loses both → 0.
    # s2: a ties c, beats b → 0.75; b → 0; c → 0.75.
    rates = mean_win_rate(mae)
    assert rates == pytest.approx({"a": 0.75, "b": 0.375, "c": 0.375})


def test_mean_win_rate_only_over_subsets_where_model_has_a_value():
    mae = {"a": {"s1": 1.0, "s2": 0.2}, "b": {"s1": 2.0, "s2": None}, "c": {"s2": 0.1, "s3": 5.0}}
    rates = mean_win_rate(mae)
    # s1: a beats b → a 1, b 0. s2: a vs c only (b has None): c better → a 0, c 1. s3: c alone, skipped.
    assert rates == pytest.approx({"a": 0.5, "b": 0.0, "c": 1.0})
    assert mean_win_rate({"solo": {"s1": 1.0}}) == {"solo": None}


def test_mean_win_rate_higher_is_better():
    acc = {"a": {"s1": 0.9}, "b": {"s1": 0.5}, "c": {"s1": 0.5}}
    assert mean_win_rate(acc, higher_is_better=True) == pytest.approx({"a": 1.0, "b": 0.25, "c": 0.25})


@pytest.mark.parametrize("pred,errored,needle", [
    ([np.nan, 3.0], [False, False], "item #0 is flagged valid but its prediction nan is not a finite number"),
    ([2.0, np.inf], [False, False], "item #1 is flagged valid but its prediction inf"),
    ([2.0, 3.0], [False, True], "item #1 is flagged valid but errored"),
])
def test_inputs_contradicting_their_validity_are_refused(pred, errored, needle):
    from roboreward_bench.errors import RRBenchError

    inputs = ScoringInput(np.array([2, 3]), np.array(pred), np.array([True, True]), np.array(errored),
                          np.array(["a", "a"]), np.array(["e0", "e1"]))
    with pytest.raises(RRBenchError, match=needle):
        score(inputs, MetricOptions(resamples=0))
