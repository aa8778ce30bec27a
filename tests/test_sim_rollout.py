"""A real Meta-World rollout of a few steps: seeding, policies, rendering, encoding."""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

# Not imported here: MuJoCo must first see the GL backend that rrb-sim chooses.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("metaworld") is None, reason="needs rrbench[sim]")

from roboreward_bench.sim.envs import SimTaskError, make_env  # noqa: E402
from roboreward_bench.sim.policies import PolicySpec  # noqa: E402
from roboreward_bench.sim.render import choose_gl_backend  # noqa: E402
from roboreward_bench.sim.rollout import EpisodeSpec, play, shown_steps  # noqa: E402
from roboreward_bench.sim.video import count_frames, write_mp4  # noqa: E402

SHORT = dict(max_steps=12, settle=4, stride=3, size=64)


@pytest.fixture(scope="module")
def push_env():
    choose_gl_backend()
    env = make_env("push-v3")
    yield env
    env.close()


def test_same_seed_same_states_other_seed_other_start(push_env):
    spec = EpisodeSpec(task="push-v3", seed=5, policy=PolicySpec("noisy", sigma=0.5), **SHORT)
    a = play(push_env, spec, render=False)
    play(push_env, dataclasses.replace(spec, seed=6), render=False)  # reuse the env in between
    b = play(push_env, spec, render=False)
    assert a.states == b.states
    c = play(push_env, dataclasses.replace(spec, seed=6), render=False)
    assert c.states[0].obj != a.states[0].obj


def test_rendering_does_not_change_the_states(push_env):
    spec = EpisodeSpec(task="push-v3", seed=9, policy=PolicySpec("expert"), **SHORT)
    rendered = play(push_env, spec, render=True)
    blind = play(push_env, spec, render=False)
    assert rendered.states == blind.states
    assert len(rendered.frames) == len(rendered.frame_steps) == len(shown_steps(12, 3))
    assert rendered.frames[0].shape == (64, 64, 3) and rendered.frames[0].dtype == np.uint8


def test_policies_differ_from_the_expert(push_env):
    base = EpisodeSpec(task="push-v3", seed=3, policy=PolicySpec("expert"), **SHORT)
    expert = play(push_env, base, render=False).states
    for policy in (PolicySpec("random"), PolicySpec("noisy", sigma=2.0), PolicySpec("stalled", at=2),
                   PolicySpec("other-skill", skill="reach-v3")):
        other = play(push_env, dataclasses.replace(base, policy=policy), render=False).states
        assert other[0] == expert[0]          # same initial state: a best-of-N group
        assert other[-1].hand != expert[-1].hand, policy


def test_frames_encode_to_an_mp4_with_every_frame(push_env, tmp_path):
    spec = EpisodeSpec(task="push-v3", seed=1, policy=PolicySpec("expert"), **SHORT)
    episode = play(push_env, spec, render=True)
    path = tmp_path / "push.mp4"
    write_mp4(path, episode.frames, fps=spec.fps)
    assert count_frames(path) == len(episode.frames)


def test_unknown_task_is_reported_by_name():
    with pytest.raises(SimTaskError, match="no-such-task-v3"):
        make_env("no-such-task-v3")
