"""``rrbench review stats|export``, the bind-address rule, and the review server's HTTP, for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
import yaml

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.cli.review_cmd import review_group
from roboreward_bench.data.loading import load_task
from roboreward_bench.data.local import load_local_dataset
from roboreward_bench.data.content_hash import item_content_hash
from roboreward_bench.review.server import ReviewServer, parse_range
from roboreward_bench.review.session import ReviewSession
from roboreward_bench.data.reviews import ReviewLog, ReviewRecord, read_reviews, reviews_path
from roboreward_bench.tasks.spec import FrameSpec
from video_fixtures import write_dataset

ROWS = [
    {"file_name": "alpha/a.mp4", "task": "open the drawer", "reward": 4, "camera": "corner",
     "frame_labels": [1] * 6 + [3] * 6 + [4] * 4},
    {"file_name": "alpha/b.mp4", "task": "close the door", "reward": 2},
    {"file_name": "beta/c.mp4", "task": "push the puck", "reward": 5},
    {"file_name": "beta/d.mp4", "task": "lift the block", "reward": 3},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data", ROWS, videos={name: 16 for name in {r["file_name"] for r in ROWS}})


def record(item, reviewer: str, kind: str, label: int | None = None, note: str = "") -> ReviewRecord:
    return ReviewRecord(item.item_id, item_content_hash(item), reviewer, kind, item.label, label, note,
                        "2026-11-24T00:00:00+00:00")


def review_some(root: Path) -> None:
    a, b, c, _ = load_local_dataset(root).items
    log = ReviewLog(reviews_path(root))
    log.append(record(a, "ann", "relabel", 2, note="drawer only half open"))
    log.append(record(b, "ann", "accept"))
    log.append(record(c, "ann", "reject", note="wrong camera"))


def test_stats_prints_counts_per_subset_and_agreement(dataset):
    review_some(dataset)
    process = rrbench("review", "stats", str(dataset))
    assert process.returncode == 0, process.stderr
    rows = {line.split("|")[1].strip(): [int(x) for x in line.split("|")[2:7]]
            for line in process.stdout.splitlines() if line.startswith("| ") and "subset" not in line}
    assert rows == {"alpha": [1, 0, 1, 0, 2], "beta": [0, 1, 0, 1, 2], "all": [1, 1, 1, 1, 4]}
    assert "50.0% (1 of 2 human labels)" in process.stdout


def test_export_writes_a_new_version_and_leaves_the_old_one(tmp_path, dataset):
    review_some(dataset)
    before = (dataset / "metadata.jsonl").read_bytes()
    out = tmp_path / "data_v2"
    process = rrbench("review", "export", str(dataset), "--out", str(out))
    assert process.returncode == 0, process.stderr
    assert (dataset / "metadata.jsonl").read_bytes() == before
    new = {item.item_id: item for item in load_local_dataset(out).items}
    assert sorted(new) == ["alpha/a.mp4", "alpha/b.mp4", "beta/d.mp4"]      # the rejected item is gone
    assert new["alpha/a.mp4"].label == 2 and new["alpha/a.mp4"].frame_labels is None
    assert new["alpha/a.mp4"].metadata == {"camera": "corner", "relabelled_from": 4}
    assert new["alpha/b.mp4"].label == 2 and "relabelled_from" not in new["alpha/b.mp4"].metadata
    assert (out / "beta/d.mp4").read_bytes() == (dataset / "beta/d.mp4").read_bytes()
    spec = yaml.safe_load(process.stdout[process.stdout.index("# Task YAML"):])
    assert spec["version"] == 2 and spec["source"] == {"kind": "local", "path": str(out.resolve()), "split": "test"}
    task_file = tmp_path / "v2.yaml"
    task_file.write_text(yaml.safe_dump({**spec, "require_verified": True}), encoding="utf-8")
    scored = load_task(str(task_file))  # the relabel counts as a verified item of the new version
    assert sorted(i.item_id for i in scored.items) == ["alpha/a.mp4", "alpha/b.mp4"]
    carried = read_reviews(reviews_path(out))
    assert [(r.item_id, r.decision, r.proposed_label) for r in carried] == [("alpha/a.mp4", "accept", 2),
                                                                           ("alpha/b.mp4", "accept", 2)]
    assert carried[0].note == "relabelled from 4; drawer only half open"


def test_export_stops_on_disagreement_and_on_an_existing_folder(tmp_path, dataset):
    a = load_local_dataset(dataset).items[0]
    ReviewLog(reviews_path(dataset)).append(record(a, "ann", "relabel", 2))
    ReviewLog(reviews_path(dataset)).append(record(a, "bob", "relabel", 3))
    assert_one_line_error(rrbench("review", "export", str(dataset), "--out", str(tmp_path / "x")),
                          "reviewers disagree")  # the message continues with one line per item
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    assert_one_line_error(rrbench("review", "export", str(dataset), "--out", str(tmp_path / "full")),
                          "already exists and is not empty")


def test_a_folder_named_like_a_subcommand_is_reviewed(tmp_path, monkeypatch):
    write_dataset(tmp_path / "stats", ROWS[:1])
    monkeypatch.chdir(tmp_path)
    context = click.Context(review_group)
    assert review_group.resolve_command(context, ["stats"])[0] == "serve"
    assert review_group.resolve_command(context, ["stats", "stats"])[0] == "stats"
    monkeypatch.chdir(tmp_path / "stats")
    assert review_group.resolve_command(context, ["stats"])[0] == "stats"


def start_server(dataset: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "roboreward_bench.cli.main", "review", str(dataset),
                             "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_non_loopback_bind_is_refused_unless_given_with_host(dataset):
    refused = rrbench("review", str(dataset), "--port", "0", env={"RRBENCH_REVIEW_HOST": "0.0.0.0"}, timeout=60)
    assert_one_line_error(refused, "refusing to listen on non-loopback address '0.0.0.0'", "--host")
    server = start_server(dataset, "--host", "0.0.0.0")
    try:
        banner = server.stdout.readline() + server.stdout.readline()
        assert "open http://0.0.0.0:" in banner, banner
    finally:
        server.send_signal(signal.SIGKILL)
        _, stderr = server.communicate(timeout=30)
    assert "warning: listening on 0.0.0.0, which is not loopback" in stderr


@pytest.fixture
def live(dataset):
    items = load_local_dataset(dataset).items
    session = ReviewSession("demo", items, ReviewLog(reviews_path(dataset)), "ann", FrameSpec(num_frames=4),
                            "roboreward-v1")
    server = ReviewServer(session, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server, items
    server.shutdown()
    server.server_close()


def fetch(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_video_is_served_with_byte_ranges(live):
    server, items = live
    video = items[1].video_path.read_bytes()
    status, headers, body = fetch(server.url + "video/1", {"Range": "bytes=10-19"})
    assert status == 206 and body == video[10:20]
    assert headers["Content-Range"] == f"bytes 10-19/{len(video)}"
    assert fetch(server.url + "video/1", {"Range": "bytes=-7"})[2] == video[-7:]
    assert fetch(server.url + "video/1")[2] == video
    assert fetch(server.url + "video/1", {"Range": f"bytes={len(video)}-"})[0] == 416
    assert parse_range("bytes=5-", 10) == (5, 9) and parse_range(None, 10) is None


def test_server_refuses_foreign_hosts_and_form_posts(live):
    server, items = live
    assert fetch(server.url + "api/session", {"Host": "attacker.example"})[0] == 403
    body = json.dumps({"index": 0, "decision": "accept"}).encode()
    assert fetch(server.url + "api/decision", {"Content-Type": "text/plain"}, body)[0] == 415
    assert fetch(server.url + "api/decision", {"Content-Type": "application/json"},
                 json.dumps({"index": 0, "decision": "relabel", "label": 9}).encode())[0] == 400
    assert read_reviews(reviews_path(items[0].video_path.parents[1])) == []
    status, _, answer = fetch(server.url + "api/decision", {"Content-Type": "application/json"}, body)
    assert status == 200 and json.loads(answer)["next"] == 1
    status, headers, jpeg = fetch(server.url + "thumb/0/3.jpg")
    assert status == 200 and jpeg[:2] == b"\xff\xd8" and headers["Content-Type"] == "image/jpeg"


def test_export_of_a_task_yaml_bumps_its_version_and_keeps_its_protocol(tmp_path, dataset):
    review_some(dataset)
    task = tmp_path / "lab.yaml"
    task.write_text("# our held-out set\nname: lab-heldout\nversion: 3\nsource: {kind: local, path: data}\n"
                    "frames: {num_frames: 8}\nrequire_verified: true\n", encoding="utf-8")
    process = rrbench("review", "export", str(task), "--out", str(tmp_path / "data_v4"))
    assert process.returncode == 0, process.stderr
    assert "Add 'require_verified: true'" not in process.stdout
    new_task = tmp_path / "lab_v4.yaml"
    new_task.write_text(process.stdout[process.stdout.index("# Task YAML"):], encoding="utf-8")
    loaded = load_task(str(new_task))
    assert (loaded.spec.name, loaded.spec.version, loaded.spec.frames.num_frames) == ("lab-heldout", 4, 8)
    assert loaded.data_root == (tmp_path / "data_v4").resolve()
    assert sorted(i.item_id for i in loaded.items) == ["alpha/a.mp4", "alpha/b.mp4"]
    assert sorted(i.item_id for i in load_task(str(task)).items) == ["alpha/b.mp4"]  # version 3 is unchanged
