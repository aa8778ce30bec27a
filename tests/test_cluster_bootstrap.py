"""The bootstrap resamples the task's cluster key (bootstrap.cluster), not single episodes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from roboreward_bench.errors import PredictionsError, TaskError
from roboreward_bench.metrics._inputs import prepare
from roboreward_bench.metrics.bootstrap import by_cluster
from roboreward_bench.metrics.catalogue import catalogue
from roboreward_bench.metrics.clusters import item_statistics, needed_statistics
from roboreward_bench.metrics.suite import score
from roboreward_bench.metrics.types import MetricOptions, ScoringInput
from roboreward_bench.tasks.spec import task_spec_from_dict


def _grouped_input(n_groups: int = 40, per_group: int = 5, seed: int = 0) -> ScoringInput:
    """Episodes of one group share an initial state, so their errors move together."""
    rng = np.random.default_rng(seed)
    group_error = rng.integers(0, 3, n_groups)        # the whole group is easy or hard
    groups = np.repeat([f"g{i}" for i in range(n_groups)], per_group)
    episodes = np.array([f"{g}-e{i % per_group}" for i, g in enumerate(groups)])
    y = rng.integers(1, 6, groups.size)
    pred = np.clip(y + np.repeat(group_error, per_group), 1, 5).astype(float)
    valid = np.ones(groups.size, bool)
    return ScoringInput(y, pred, valid, ~valid, np.array(["s"] * groups.size), episodes, cluster=groups)


def test_cluster_rows_sum_the_items_of_each_cluster():
    data = prepare(_grouped_input())
    metrics = [m for m in catalogue() if m.ci]
    per_item = item_statistics(data, MetricOptions(), needed_statistics(metrics))
    clusters = by_cluster(data, per_item)
    episodes = by_cluster(replace(data, cluster=data.episode_id), per_item)
    assert clusters.rows == 40 and episodes.rows == 200
    assert np.allclose(clusters.matrix.sum(axis=0), episodes.matrix.sum(axis=0))


def test_resampling_correlated_groups_widens_the_interval():
    data = _grouped_input()
    options = MetricOptions(groups=("regression",), resamples=400, seed=0)
    by_episode = score(replace(data, cluster=None), options).overall["mae_micro"]
    by_group = score(data, options).overall["mae_micro"]
    assert by_group.value == pytest.approx(by_episode.value)
    assert (by_group.ci_high - by_group.ci_low) > 1.5 * (by_episode.ci_high - by_episode.ci_low)


def test_the_spec_names_the_cluster_column_and_scoring_uses_it(tmp_path):
    from roboreward_bench.data.items import Item
    from roboreward_bench.evaluation.rows import cluster_of

    spec = task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."},
                                "bootstrap": {"cluster": "group_id"}}, where="t.yaml", base_dir=tmp_path)
    assert spec.bootstrap.cluster == "group_id"
    items = [Item(item_id=f"i{k}", file_name="v.mp4", video_path=Path("v.mp4"), instruction="x", label=1,
                  episode_id=f"e{k}", subset="s", group_id=f"g{k // 2}") for k in range(4)]
    assert [cluster_of(spec, item) for item in items] == ["g0", "g0", "g1", "g1"]
    lonely = Item(item_id="lonely", file_name="v.mp4", video_path=Path("v.mp4"), instruction="x", label=1,
                  episode_id="e9", subset="s")
    with pytest.raises(PredictionsError, match="lonely.*group_id"):
        cluster_of(spec, lonely)
    default = task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."}}, where="t.yaml",
                                  base_dir=tmp_path)
    assert default.bootstrap.cluster == "episode_id" and cluster_of(default, lonely) == "e9"


def test_an_empty_cluster_name_is_a_spec_error(tmp_path):
    with pytest.raises(TaskError, match="cluster"):
        task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."},
                             "bootstrap": {"cluster": ""}}, where="t.yaml", base_dir=tmp_path)
