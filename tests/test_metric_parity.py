"""Every metric and CI equals what the pre-catalogue code computed, to 1e-12.

``fixtures/metric_parity.json.gz`` was written by the code before issue 11
(two-implementation metrics) from (a) the rrb-sim v1 test split with the
``random`` and ``video-only`` seed submissions plus a copy of ``random`` with
invalid answers and errors mixed in, and (b) the RoboRewardBench fixture rows
of test_roborewardbench.py with mixed answers. The fixture holds the per-item
inputs, so this test needs neither the shipped split nor videos.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from roboreward_bench.data.items import Item
from roboreward_bench.evaluation.rows import scored_rows, scoring_input
from roboreward_bench.evaluation.scoring import metric_options, score_records
from roboreward_bench.metrics.bootstrap import paired_bootstrap
from roboreward_bench.results.predictions import PredictionRecord
from roboreward_bench.results.schema import metrics_dict
from roboreward_bench.tasks.spec import load_task_spec

FIXTURE = Path(__file__).parent / "fixtures" / "metric_parity.json.gz"
with gzip.open(FIXTURE, "rt", encoding="utf-8") as _handle:
    SAVED = json.load(_handle)
CASES = [(dataset, run) for dataset, block in SAVED["datasets"].items() for run in block["runs"]]


def task_and_records(dataset: str, run: str, tmp_path: Path):
    block = SAVED["datasets"][dataset]
    columns = block["runs"][run]["items"]
    rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
    items = tuple(Item(item_id=r["item_id"], file_name=r["item_id"], video_path=Path("/nonexistent"),
                       instruction="", label=r["label"], episode_id=r["episode_id"], subset=r["subset"],
                       clip_end=r["clip_end"], kind=r["kind"], group_id=r["group_id"]) for r in rows)
    records = [PredictionRecord(item_id=r["item_id"], raw_text=r["raw_text"], parsed=r["parsed"], valid=r["valid"],
                                error=r["error"], score_probs=None if r["score_probs"] is None else
                                tuple(r["score_probs"])) for r in rows]
    spec_file = tmp_path / f"{dataset}.yaml"
    spec_file.write_text(yaml.safe_dump(block["spec"]), encoding="utf-8")
    task = SimpleNamespace(spec=load_task_spec(spec_file), items=items)
    return task, records


def assert_close(actual, expected, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), (where, actual, expected)
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert actual is not None and math.isclose(actual, expected, rel_tol=0, abs_tol=1e-12), (where, actual, expected)
    else:
        assert actual == expected, (where, actual, expected)


@pytest.mark.parametrize("dataset,run", CASES)
def test_every_metric_and_ci_matches_saved_results(dataset, run, tmp_path):
    task, records = task_and_records(dataset, run, tmp_path)
    expected = SAVED["datasets"][dataset]["runs"][run]["expected"]
    report = score_records(task, records)
    assert_close(metrics_dict(report), expected["metrics"], f"{dataset}/{run}.metrics")
    assert_close(report.per_subset, expected["per_subset"], f"{dataset}/{run}.per_subset")
    assert_close(report.counts, expected["counts"], f"{dataset}/{run}.counts")


@pytest.mark.parametrize("dataset", list(SAVED["datasets"]))
def test_paired_bootstrap_matches_saved_results(dataset, tmp_path):
    for pair, by_metric in SAVED["datasets"][dataset]["paired"].items():
        first, second = pair.split("-vs-")
        task, records_a = task_and_records(dataset, first, tmp_path)
        _, records_b = task_and_records(dataset, second, tmp_path)
        options = metric_options(task.spec)
        input_a = scoring_input(scored_rows(task.spec, task.items, records_a))
        input_b = scoring_input(scored_rows(task.spec, task.items, records_b))
        for metric, saved in by_metric.items():
            result = paired_bootstrap(input_a, input_b, metric, options)
            assert_close(vars(result), saved, f"{dataset}/{pair}/{metric}")


def test_fixture_exercises_invalid_answers_errors_and_score_probs():
    runs = {f"{d}/{r}": SAVED["datasets"][d]["runs"][r] for d, r in CASES}
    assert any(run["expected"]["counts"]["errors"] > 0 for run in runs.values())
    assert any(run["expected"]["counts"]["invalid"] > run["expected"]["counts"]["errors"] for run in runs.values())
    assert any(any(p is not None for p in run["items"]["score_probs"]) for run in runs.values())
