"""The per-process side of ``data build``: play, render, encode and record one group.

A worker keeps its envs between groups. Every file is written under a
temporary name and renamed, so a killed worker never leaves a half file that
a resumed build would trust.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from roboreward_bench.sim.envs import EnvCache

_CACHE: EnvCache | None = None


def _cache() -> EnvCache:
    global _CACHE
    if _CACHE is None:
        _CACHE = EnvCache()
    return _CACHE


def close_worker() -> None:
    """Free this process's envs and GL contexts."""
    global _CACHE
    if _CACHE is not None:
        _CACHE.close()
        _CACHE = None


def run_group(job: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Run one group's episodes; a failing task is reported as ``{task: message}``, not raised."""
    from roboreward_bench.errors import RRBenchError
    from roboreward_bench.sim.catalog import task_info
    from roboreward_bench.sim.items import clip_ends, record_of, record_path
    from roboreward_bench.sim.labels import label_states
    from roboreward_bench.sim.rollout import EpisodeSpec, play
    from roboreward_bench.sim.video import write_fixed_size_mp4
    from roboreward_bench.sim.visibility import make_camera

    out = Path(job[0])
    specs = [EpisodeSpec.from_dict(raw) for raw in job[1]]
    done = 0
    for index, spec in enumerate(specs):
        try:
            family = task_info(spec.task).family
            env = _cache().get(spec.task)
            episode = play(env, spec, render=True)
            own = label_states(spec.task, spec.task, episode.frame_states())
            ends = [*clip_ends(own, spec.episode_id), len(own) - 1]
            camera, visible = film_camera(env, episode, ends)
            view = make_camera(camera, episode.states[0].obj, episode.states[0].goal)
            frames = []
            for snapshot in episode.snapshots:
                env.restore(snapshot)
                frames.append(env.render(view, spec.size))
            file_name = f"{family}/{spec.episode_id}.mp4"
            write_fixed_size_mp4(out / file_name, frames, fps=spec.fps)
            record = record_of(episode, file_name, camera=camera, visible_px=visible)
        except RRBenchError as exc:
            return {"done": done, "skipped": len(specs) - index, "failed": {spec.task: str(exc)}}
        except Exception as exc:  # noqa: BLE001 - a simulator crash is reported with the task name
            message = f"{spec.task}: {type(exc).__name__}: {exc}"
            return {"done": done, "skipped": len(specs) - index, "failed": {spec.task: message}}
        path = record_path(out, spec)
        tmp = path.with_name(path.name + f".{os.getpid()}.part")
        tmp.write_text(json.dumps(record.to_dict(), separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
        done += 1
    return {"done": done, "skipped": 0, "failed": {}}


def film_camera(env, episode, ends: list[int]) -> tuple[str, dict[int, int]]:
    """The candidate camera whose worst item end frame shows the most main-object pixels, and
    that camera's visible object pixels at each end frame (the spec's camera if it names one)."""
    from roboreward_bench.sim.visibility import CANDIDATE_CAMERAS, choose_camera, main_object_geoms, make_camera

    spec = episode.spec
    env.restore(episode.snapshots[0])
    geoms = main_object_geoms(env.model, env.data, episode.states[0].obj)
    first = episode.states[0]
    cameras = CANDIDATE_CAMERAS if spec.camera == "auto" else (spec.camera,)
    views = {camera: make_camera(camera, first.obj, first.goal) for camera in cameras}
    pixels: dict[str, list[int]] = {camera: [] for camera in cameras}
    for end in ends:
        env.restore(episode.snapshots[end])
        for camera in cameras:
            pixels[camera].append(env.visible_pixels(views[camera], spec.size, geoms))
    camera = choose_camera(pixels)
    return camera, dict(zip(ends, pixels[camera]))
