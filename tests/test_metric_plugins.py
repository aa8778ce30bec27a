"""A third-party metric registered through the ``rrbench.metrics`` entry-point group.

The plugin is a real distribution on sys.path (a dist-info folder with
entry_points.txt), as pip would leave it. Once installed, its metric must show
up everywhere the catalogue is read: ``rrbench metrics``, results.json (value,
CI and per-subset column), the terminal tables of ``rrbench eval`` and
``rrbench score``, the validator, the leaderboard tables and the site.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from cli_runner import assert_one_line_error, rrbench
from leaderboard_fixtures import TASK, write_task
from plugin_fixtures import install_plugin

PLUGIN = '''
import numpy as np

from roboreward_bench.metrics import ratio, register_metric, register_statistic


@register_statistic("over")
def over(d, o):
    """Valid answers above their gold label."""
    return (d.valid & (np.nan_to_num(d.y_pred) > d.y_true)).astype(float)


@register_metric("over_rate", label="over-rate", group="calibration", higher_is_better=False, range=(0, 1),
                 statistics=("items", "over"), subset_column="over_rate", summary=True)
def over_rate(t):
    """Share of items scored above their gold label."""
    return ratio(t["over"], t["items"].sum(axis=-1))
'''


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("site-packages")
    env = install_plugin(root, "over_plugin", PLUGIN, {"rrbench.metrics": ["over_rate = over_plugin:over_rate"]})
    return {**env, "RRBENCH_CACHE_DIR": str(root / "cache")}


def test_plugin_metric_is_listed_with_its_declaration(plugin_env):
    listed = rrbench("metrics", env=plugin_env)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("over_rate "))
    assert row.split()[1:] == ["over-rate", "calibration", "lower", "[0,", "1]", "yes", "pointwise"]
    assert "over_rate" not in rrbench("metrics").stdout  # not installed: not there


def opt_in(tasks, groups: str = "regression, ordinal, calibration") -> None:
    """A task computes a plugin group only when it lists it (fingerprints never change by installing one)."""
    spec = tasks / f"{TASK}.yaml"
    spec.write_text(spec.read_text() + f"metrics: [{groups}]\n")


def test_plugin_metric_reaches_results_score_tables_and_site(plugin_env, tmp_path):
    opt_in(write_task(tmp_path))
    ran = rrbench("eval", "--task", f"tasks/{TASK}.yaml", "--model", "random", "--output-dir", "run",
                  "--no-progress", "--by-subset", cwd=tmp_path, env=plugin_env)
    assert ran.returncode == 0, ran.stderr
    assert "over-rate" in ran.stdout
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    gold = {item_id: label for item_id, label in _labels(tmp_path)}
    expected = np.mean([row["parsed"] > gold[row["item_id"]] for row in rows])
    over = results["metrics"]["over_rate"]
    assert over["value"] == pytest.approx(expected) and over["ci_low"] <= expected <= over["ci_high"]
    assert all("over_rate" in values for values in results["per_subset"].values())

    scored = rrbench("score", "run/predictions.jsonl", "--task", f"tasks/{TASK}.yaml", cwd=tmp_path, env=plugin_env)
    assert scored.returncode == 0 and "over-rate" in scored.stdout, scored.stderr

    submitted = rrbench("submit", "run", "--org", "Plug", "--name", "In", "--contact", "x", "--root", "subs",
                        "--tasks-dir", "tasks", cwd=tmp_path, env=plugin_env)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    table = rrbench("leaderboard", "table", "--task", TASK, "--format", "csv", "--root", "subs", "--tasks-dir",
                    "tasks", cwd=tmp_path, env=plugin_env)
    assert table.returncode == 0, table.stderr
    assert float(next(csv.DictReader(io.StringIO(table.stdout)))["over_rate"]) == pytest.approx(expected)
    markdown = rrbench("leaderboard", "table", "--task", TASK, "--format", "markdown", "--root", "subs",
                       "--tasks-dir", "tasks", cwd=tmp_path, env=plugin_env)
    assert "over-rate" in markdown.stdout
    built = rrbench("leaderboard", "build", "--root", "subs", "--tasks-dir", "tasks", "--out", "site",
                    cwd=tmp_path, env=plugin_env)
    assert built.returncode == 0, built.stderr
    assert "over-rate" in (tmp_path / "site" / "index.html").read_text()
    assert "over-rate" in (tmp_path / "site" / "models" / TASK / "Plug__In.html").read_text()

    assert rrbench("validate", "--root", "subs", "--tasks-dir", "tasks", cwd=tmp_path, env=plugin_env).returncode == 0
    # Without the plugin the task cannot be loaded, so nothing is scored without the metric it asks for.
    checked = rrbench("validate", "--root", "subs", "--tasks-dir", "tasks", cwd=tmp_path)
    assert checked.returncode == 1 and "unknown metric group 'calibration'" in checked.stdout


def test_installing_a_plugin_leaves_other_tasks_unchanged(plugin_env, tmp_path):
    write_task(tmp_path)
    results = []
    for folder, env in (("with", plugin_env), ("without", {})):
        ran = rrbench("eval", "--task", f"tasks/{TASK}.yaml", "--model", "random", "--output-dir", folder,
                      "--no-progress", cwd=tmp_path, env=env)
        assert ran.returncode == 0, ran.stderr
        results.append(json.loads((tmp_path / folder / "results.json").read_text()))
    assert results[0]["task"]["fingerprint"] == results[1]["task"]["fingerprint"]
    assert results[0]["metrics"] == results[1]["metrics"] and "over_rate" not in results[0]["metrics"]


def test_task_naming_an_uninstalled_metric_fails_in_one_line(tmp_path):
    tasks = write_task(tmp_path)
    spec = tasks / f"{TASK}.yaml"
    spec.write_text(spec.read_text() + "headline: over_rate\n")
    assert_one_line_error(rrbench("eval", "--task", str(spec), "--model", "random", "--output-dir",
                                  str(tmp_path / "run")), "unknown headline metric 'over_rate'")


def _labels(base):
    for line in (base / "data" / "metadata.jsonl").read_text().splitlines():
        row = json.loads(line)
        yield row.get("item_id", row["file_name"]), row["reward"]
