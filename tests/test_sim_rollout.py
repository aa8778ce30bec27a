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
from roboreward_bench.sim.video import count_frames, write_fixed_size_mp4, write_mp4  # noqa: E402

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


def _frames(env, episode, camera="corner"):
    frames = []
    for snapshot in episode.snapshots:
        env.restore(snapshot)
        frames.append(env.render(camera, episode.spec.size))
    return frames


def test_rendering_does_not_change_the_states(push_env):
    spec = EpisodeSpec(task="push-v3", seed=9, policy=PolicySpec("expert"), **SHORT)
    rendered = play(push_env, spec, render=True)
    frames = _frames(push_env, rendered)
    blind = play(push_env, spec, render=False)
    assert rendered.states == blind.states
    assert len(frames) == len(rendered.frame_steps) == len(shown_steps(12, 3))
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8


def test_a_snapshot_restores_the_state_it_was_taken_in(push_env):
    spec = EpisodeSpec(task="push-v3", seed=4, policy=PolicySpec("expert"), **SHORT)
    episode = play(push_env, spec, render=True)
    for index in (0, len(episode.snapshots) - 1):
        push_env.restore(episode.snapshots[index])
        hand = tuple(float(v) for v in push_env.env.tcp_center)
        assert np.allclose(hand, episode.states[episode.frame_steps[index]].hand, atol=1e-9)


def test_v2_every_episode_runs_the_whole_horizon(push_env):
    """v1 ended 6 steps after success, so a short video meant success; v2 never ends early."""
    spec = EpisodeSpec(task="push-v3", seed=2, policy=PolicySpec("expert"), max_steps=120, settle=4, size=64)
    episode = play(push_env, spec, render=False)
    assert any(state.success for state in episode.states)
    assert len(episode.states) == 121 and episode.frame_steps == shown_steps(120, 3)


def test_v2_a_start_delay_holds_the_policy_back(push_env):
    base = EpisodeSpec(task="push-v3", seed=2, policy=PolicySpec("expert"), max_steps=30, settle=4, size=64)
    prompt = play(push_env, base, render=False).states
    delayed = play(push_env, dataclasses.replace(base, delay=20), render=False).states
    travel = lambda states, t: float(np.linalg.norm(np.subtract(states[t].hand, states[0].hand)))  # noqa: E731
    assert travel(delayed, 20) < 0.5 * travel(prompt, 20)


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
    frames = _frames(push_env, play(push_env, spec, render=True))
    path = tmp_path / "push.mp4"
    write_mp4(path, frames, fps=spec.fps)
    assert count_frames(path) == len(frames)


def test_v2_videos_all_have_one_file_size(tmp_path):
    """File size must not tell a still episode from a busy one: both are padded to the same bytes."""
    rng = np.random.default_rng(0)
    still = [np.full((64, 64, 3), 90, dtype=np.uint8)] * 20
    busy = [rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8) for _ in range(20)]
    sizes = []
    for name, frames in (("still", still), ("busy", busy)):
        path = tmp_path / f"{name}.mp4"
        write_fixed_size_mp4(path, frames, fps=10, size=40_000)
        sizes.append(path.stat().st_size)
        assert count_frames(path) == 20
    assert sizes == [40_000, 40_000]
    with pytest.raises(ValueError, match="do not fit"):
        write_fixed_size_mp4(tmp_path / "tiny.mp4", busy, fps=10, size=2_000)


def test_unknown_task_is_reported_by_name():
    with pytest.raises(SimTaskError, match="no-such-task-v3"):
        make_env("no-such-task-v3")


def test_the_crf_search_finds_the_lowest_fitting_step_from_any_start(tmp_path):
    from roboreward_bench.sim import video

    rng = np.random.default_rng(3)
    frames = [np.clip(rng.normal(128, 30, size=(64, 64, 3)), 0, 255).astype(np.uint8) for _ in range(12)]
    chosen = []
    for start in (0, 3, len(video._CRF_STEPS) - 1):
        video._last_fit[30_000] = start
        path = tmp_path / f"s{start}.mp4"
        chosen.append(write_fixed_size_mp4(path, frames, fps=10, size=30_000))
        assert path.stat().st_size == 30_000 and count_frames(path) == 12
    assert len(set(chosen)) == 1
    lower = [c for c in video._CRF_STEPS if c < chosen[0]]
    if lower:   # the next better step really does not fit
        write_mp4(tmp_path / "lower.mp4", frames, fps=10, crf=lower[-1])
        assert (tmp_path / "lower.mp4").stat().st_size > 30_000 - 8


@pytest.mark.parametrize("task", ["push-v3", "handle-pull-v3", "dial-turn-v3", "faucet-open-v3"])
def test_the_main_object_is_found_and_seen_from_an_orbit_camera(task):
    """The main object's geoms are never empty (a handle's site sits a few cm off its geoms),
    and at 320 px the orbit camera sees well over 100 of its pixels at the start."""
    from roboreward_bench.sim.visibility import CANDIDATE_CAMERAS, main_object_geoms, make_camera

    choose_gl_backend()
    env = make_env(task)
    try:
        obs = env.reset(2_000_000)
        geoms = main_object_geoms(env.model, env.data, obs[4:7])
        names = {env.model.body(int(env.model.geom_bodyid[g])).name for g in geoms}
        assert geoms and not names & {"hand", "rightclaw", "leftclaw", "tablelink"}
        goal = tuple(float(v) for v in env.env._target_pos)
        seen = [env.visible_pixels(make_camera(c, obs[4:7], goal), 320, geoms) for c in CANDIDATE_CAMERAS]
        assert max(seen) >= 100, seen
    finally:
        env.close()
