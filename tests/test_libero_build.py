"""rrb-libero build bookkeeping on hand-built records (no LIBERO): expert success, exclusion, assembly, resume."""

from __future__ import annotations

import json

from roboreward_bench.data.local import load_local_dataset
from roboreward_bench.data.manifest import check_manifest
from roboreward_bench.libero import build
from roboreward_bench.libero.splits import episode_spec
from test_libero_labels import BOWL_ON_PLATE, _state
from video_fixtures import write_mp4


def _record(out, key, init, policy, success: bool):
    spec = episode_spec("dev", key, init, policy)
    states = [_state() for _ in range(6)] + [_state(bowl=(0.15, 0.0, 1.0))] * 3
    states += [_state(truth={BOWL_ON_PLATE: 1})] * 2 if success else [_state(bowl=(0.2, 0.0, 0.9))] * 2
    goals = {key: [BOWL_ON_PLATE]}
    record = {"spec": spec, "atoms": {BOWL_ON_PLATE: {"pred": "on", "args": ["akita_black_bowl_1", "plate_1"]}},
              "goals": goals, "states": states, "visible": {}, "timing": {"step_s": 1.0, "render_s": 1.0}}
    for path in spec["files"].values():
        write_mp4(out / path, num_frames=len(states))
    path = build.record_path(out, spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return record


def test_expert_success_counts_only_experts_and_their_final_frame(tmp_path):
    records = [_record(tmp_path, "spatial-0", i, {"kind": "expert", "delay": 0}, success=i != 2) for i in range(3)]
    records.append(_record(tmp_path, "spatial-0", 9, {"kind": "noisy", "sigma": 1.0, "delay": 0}, success=False))
    assert build.expert_success(records) == {"spatial-0": (2, 3)}


def test_assembled_split_loads_and_hashes_every_file(tmp_path):
    records = [_record(tmp_path, "spatial-0", i, {"kind": "expert", "delay": 0}, success=True) for i in range(2)]
    count = build.assemble(tmp_path, "train", records)
    dataset = load_local_dataset(tmp_path)
    assert len(dataset.items) == count > 0 and not dataset.missing_videos
    assert check_manifest(tmp_path, {"metadata.jsonl"}) == []
    listed = (tmp_path / "SHA256SUMS").read_text()
    assert "spatial-0-i0-expert-wrist.mp4" in listed   # the second camera ships too
    assert {item.group_id for item in dataset.items} == {"spatial-0-i0", "spatial-0-i1"}


def test_resume_counts_only_complete_episodes(tmp_path):
    spec = episode_spec("dev", "spatial-0", 0, {"kind": "expert", "delay": 0})
    assert not build._is_done(tmp_path, spec)
    _record(tmp_path, "spatial-0", 0, {"kind": "expert", "delay": 0}, success=True)
    assert build._is_done(tmp_path, spec)
    (tmp_path / spec["files"]["wrist"]).unlink()   # a killed worker can leave a record without a video
    assert not build._is_done(tmp_path, spec)


def test_shards_keep_tasks_whole_and_balanced():
    specs = [{"task": t, "episode_id": f"{t}-{i}"} for t, n in (("a", 6), ("b", 5), ("c", 2)) for i in range(n)]
    shards = build.shard(specs, 2)
    assert sorted(len(s) for s in shards) == [6, 7]
    for part in shards:
        tasks = {s["task"] for s in part}
        assert all(sum(1 for s in other if s["task"] in tasks) == 0 for other in shards if other is not part)


def test_tasks_without_skills_are_named_with_their_predicates():
    from roboreward_bench.libero.catalog import tasks

    skipped = build.unskilled_tasks()
    assert skipped["goal-7"] == ["turnon"] and skipped["goal-0"] == ["open"]
    for key, info in tasks().items():
        uses_joint = any(p in ("open", "close", "turnon", "turnoff") for p, _ in info.goal)
        assert (key in skipped) == uses_joint


def test_a_build_stopped_before_every_expert_ran_is_incomplete(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "run_workers", lambda *args, **kwargs: None)   # nothing more gets played
    _record(tmp_path, "spatial-0", 45, {"kind": "expert", "delay": 0}, success=False)
    report = build.build_split("dev", tmp_path, tasks=("spatial-0", "spatial-5"), progress=False, log=lambda _l: None)
    assert report.expert_success == {"spatial-0": (0, 1)}
    assert not report.complete and report.items == 0
