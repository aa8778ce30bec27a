"""The bootstrap resamples the task's cluster key (bootstrap.cluster), not single episodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from roboreward_bench.errors import PredictionsError, TaskError
from roboreward_bench.metrics.bootstrap import bootstrap_cis, by_cluster
from roboreward_bench.metrics.episode_stats import episode_statistics
from roboreward_bench.metrics._inputs import prepare
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
    return ScoringInput(y, pred, valid, ~valid, np.array(["s"] * groups.size), episodes, cluster_id=groups)


def test_cluster_rows_sum_the_episodes_of_each_cluster():
    data = prepare(_grouped_input())
    options = MetricOptions(groups=("regression",))
    episodes = episode_statistics(data, options)
    clusters = by_cluster(episodes, data)
    assert clusters.n_episodes == 40 and episodes.n_episodes == 200
    assert np.allclose(clusters.matrix.sum(axis=0), episodes.matrix.sum(axis=0))


def test_resampling_correlated_groups_widens_the_interval():
    data = _grouped_input()
    options = MetricOptions(groups=("regression",), resamples=400, seed=0)
    from dataclasses import replace

    by_episode = bootstrap_cis(replace(data, cluster_id=None), options, ["mae_micro"])["mae_micro"]
    by_group = bootstrap_cis(data, options, ["mae_micro"])["mae_micro"]
    assert (by_group[1] - by_group[0]) > 1.5 * (by_episode[1] - by_episode[0])


def test_the_spec_names_the_cluster_column_and_scoring_uses_it(tmp_path):
    from roboreward_bench.data.items import Item
    from roboreward_bench.evaluation.scoring import cluster_ids

    spec = task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."},
                                "bootstrap": {"cluster": "group_id"}}, where="t.yaml", base_dir=tmp_path)
    assert spec.bootstrap.cluster == "group_id"
    items = [Item(item_id=f"i{k}", file_name="v.mp4", video_path=Path("v.mp4"), instruction="x", label=1,
                  episode_id=f"e{k}", subset="s", group_id=f"g{k // 2}") for k in range(4)]
    assert cluster_ids(spec, items).tolist() == ["g0", "g0", "g1", "g1"]
    items.append(Item(item_id="lonely", file_name="v.mp4", video_path=Path("v.mp4"), instruction="x", label=1,
                      episode_id="e9", subset="s"))
    with pytest.raises(PredictionsError, match="lonely.*group_id"):
        cluster_ids(spec, items)
    default = task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."}}, where="t.yaml",
                                  base_dir=tmp_path)
    assert default.bootstrap.cluster == "episode_id" and cluster_ids(default, items) is None


def test_an_empty_cluster_name_is_a_spec_error(tmp_path):
    with pytest.raises(TaskError, match="cluster"):
        task_spec_from_dict({"name": "t", "source": {"kind": "local", "path": "."},
                             "bootstrap": {"cluster": ""}}, where="t.yaml", base_dir=tmp_path)
