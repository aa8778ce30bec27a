"""reviews.jsonl, content hashes, statuses, resume, stats and the require_verified hook, on real MP4s."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from roboreward_bench.data.loading import load_task
from roboreward_bench.data.local import load_local_dataset
from roboreward_bench.errors import DataError
from roboreward_bench.data.content_hash import content_hashes, item_content_hash
from roboreward_bench.review.session import ReviewSession, sample_queue
from roboreward_bench.review.stats import format_stats, review_stats
from roboreward_bench.data.reviews import (ReviewLog, ReviewRecord, accepted_item_ids, item_statuses, read_reviews,
                                           reviews_path, verified_share)
from roboreward_bench.tasks.spec import FrameSpec
from video_fixtures import write_dataset, write_mp4

ROWS = [
    {"file_name": "alpha/a.mp4", "task": "open the drawer", "reward": 5},
    {"file_name": "alpha/a.mp4", "task": "open the drawer", "reward": 3, "item_id": "a#8", "clip_end": 8,
     "kind": "clip"},
    {"file_name": "alpha/b.mp4", "task": "close the door", "reward": 4},
    {"file_name": "beta/c.mp4", "task": "push the puck", "reward": 2},
    {"file_name": "beta/d.mp4", "task": "lift the block", "reward": 1},
    {"file_name": "beta/e.mp4", "task": "press the button", "reward": 5},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data", ROWS, videos={"alpha/a.mp4": 12, "alpha/b.mp4": 8, "beta/c.mp4": 8,
                                                          "beta/d.mp4": 8, "beta/e.mp4": 8})


def items_of(root: Path):
    return load_local_dataset(root).items


def decision(item, reviewer: str, kind: str, label: int | None = None, note: str = "") -> ReviewRecord:
    return ReviewRecord(item_id=item.item_id, content_hash=item_content_hash(item), reviewer=reviewer,
                        decision=kind, proposed_label=item.label, corrected_label=label, note=note,
                        time="2026-11-24T00:00:00+00:00")


def test_content_hash_follows_what_the_reviewer_saw(dataset):
    item = items_of(dataset)[0]
    base = item_content_hash(item)
    for changed in (replace(item, instruction="close the drawer"), replace(item, label=4),
                    replace(item, clip_end=5)):
        assert item_content_hash(changed) != base
    assert item_content_hash(replace(item, metadata={"camera": "corner"})) == base
    write_mp4(item.video_path, num_frames=13)  # same name, other pixels
    assert item_content_hash(item) != base


def test_log_appends_lines_and_survives_a_torn_last_write(dataset):
    items = items_of(dataset)
    path = reviews_path(dataset)
    log = ReviewLog(path)
    log.append(decision(items[0], "ann", "accept"))
    log.append(decision(items[1], "ann", "relabel", 2, note="gripper slips"))
    with open(path, "ab") as handle:  # a crash in the middle of the third write
        handle.write(b'{"item_id": "alpha/b.mp4", "content_ha')
    assert [r.decision for r in read_reviews(path)] == ["accept", "relabel"]
    ReviewLog(path).append(decision(items[2], "ann", "reject"))  # reopening cuts the torn line first
    records = read_reviews(path)
    assert [(r.item_id, r.decision) for r in records] == [("alpha/a.mp4", "accept"), ("a#8", "relabel"),
                                                          ("alpha/b.mp4", "reject")]
    assert records[1].corrected_label == 2 and records[1].note == "gripper slips"
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_a_bad_line_in_the_middle_is_an_error_naming_it(dataset):
    items = items_of(dataset)
    path = reviews_path(dataset)
    ReviewLog(path).append(decision(items[0], "ann", "accept"))
    with open(path, "a") as handle:
        handle.write('{"item_id": "x", "decision": "maybe"}\n')
    ReviewLog(path).append(decision(items[1], "ann", "accept"))
    with pytest.raises(DataError, match=r"reviews\.jsonl:2: missing content_hash"):
        read_reviews(path)


def test_status_is_the_most_cautious_current_decision(dataset):
    items = items_of(dataset)
    log = ReviewLog(reviews_path(dataset))
    log.append(decision(items[0], "ann", "accept"))
    log.append(decision(items[1], "ann", "accept"))
    log.append(decision(items[1], "bob", "reject"))             # one rejection outweighs an acceptance
    log.append(decision(items[2], "ann", "accept"))
    log.append(decision(items[2], "bob", "relabel", 3))         # so does a different label
    log.append(decision(items[3], "ann", "reject"))
    log.append(decision(items[3], "ann", "accept"))             # a reviewer's newest decision replaces theirs
    log.append(decision(items[4], "ann", "accept"))
    write_mp4(items[4].video_path, num_frames=9)                # ... but not once the video changed
    statuses = item_statuses(dataset, items)
    assert statuses == {"alpha/a.mp4": "verified", "a#8": "rejected", "alpha/b.mp4": "relabelled",
                        "beta/c.mp4": "verified", "beta/d.mp4": "pending", "beta/e.mp4": "pending"}
    assert accepted_item_ids(dataset, items) == {"alpha/a.mp4", "beta/c.mp4"}
    assert verified_share(dataset, items) == pytest.approx(2 / 6)


def test_resume_skips_my_items_and_shows_changed_ones_again(dataset):
    items = items_of(dataset)
    log = ReviewLog(reviews_path(dataset))
    for item in items[:3]:
        log.append(decision(item, "ann", "accept"))
    log.append(decision(items[3], "bob", "accept"))
    frames = FrameSpec(num_frames=4)
    ann = ReviewSession("t", items, log, "ann", frames, "roboreward-v1")
    assert ann.next_pending() == 3 and ann.reviewed_count() == 3
    assert ReviewSession("t", items, log, "bob", frames, "roboreward-v1").next_pending() == 0
    write_mp4(items[2].video_path, num_frames=10)  # alpha/b.mp4 re-encoded since ann accepted it
    again = ReviewSession("t", items, log, "ann", frames, "roboreward-v1")
    assert again.next_pending() == 2 and again.reviewed_count() == 2
    view = again.item(2)
    assert view["mine"] is None and view["stale"] is True
    assert again.item(0)["mine"]["decision"] == "accept"


def test_session_records_relabel_to_the_same_label_as_acceptance(dataset):
    items = items_of(dataset)
    log = ReviewLog(reviews_path(dataset))
    session = ReviewSession("t", items, log, "ann", FrameSpec(num_frames=4), "roboreward-v1")
    assert session.decide(0, "relabel", items[0].label, "").decision == "accept"
    assert session.decide(1, "relabel", 1, "too early").corrected_label == 1
    with pytest.raises(ValueError):
        session.decide(2, "relabel", 7, "")
    assert [(r.decision, r.corrected_label) for r in read_reviews(log.path)] == [("accept", None), ("relabel", 1)]


def test_sample_is_stable_and_in_dataset_order(dataset):
    items = items_of(dataset)
    first = sample_queue(items, 3, seed=4)
    assert first == sample_queue(items, 3, seed=4) and len(first) == 3
    assert [items.index(i) for i in first] == sorted(items.index(i) for i in first)


def test_stats_agreement_and_kappa(dataset):
    items = items_of(dataset)
    ann_labels = [5, 3, 4, 2, 1, 5]   # ann accepts every proposed label
    bob_labels = [5, 3, 3, 2, 2, 5]   # bob changes items 2 and 4
    log = ReviewLog(reviews_path(dataset))
    for item, a, b in zip(items, ann_labels, bob_labels):
        assert item.label == a
        log.append(decision(item, "ann", "accept"))
        log.append(decision(item, "bob", "accept") if b == a else decision(item, "bob", "relabel", b))
    stats = review_stats(items, read_reviews(log.path), content_hashes(items))
    assert (stats.labelled, stats.agreeing) == (12, 10)
    (pair,) = stats.pairs
    assert pair.common_items == 6 and pair.agreement == pytest.approx(4 / 6)
    # By hand: p_o = 4/6; marginals ann (1,1,1,1,2)/6 and bob (0,2,2,0,2)/6 give p_e = 8/36; κ = 4/7.
    assert pair.kappa == pytest.approx(4 / 7)
    by_subset = {c.subset: dict(c.counts) for c in stats.subsets}
    assert by_subset["alpha"] == {"verified": 2, "rejected": 0, "relabelled": 1, "pending": 0}
    assert by_subset["beta"] == {"verified": 2, "rejected": 0, "relabelled": 1, "pending": 0}
    text = format_stats(stats, "demo")
    assert "83.3% (10 of 12 human labels)" in text and "Cohen's κ 0.571" in text


def write_task(tmp_path: Path, dataset: Path, require_verified: bool) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(f"name: reviewed\nversion: 1\nsource: {{kind: local, path: {dataset}}}\n"
                    f"require_verified: {str(require_verified).lower()}\n", encoding="utf-8")
    return path


def test_require_verified_scores_only_accepted_items(tmp_path, dataset):
    items = items_of(dataset)
    task = write_task(tmp_path, dataset, require_verified=True)
    with pytest.raises(DataError, match="no item is accepted"):
        load_task(str(task))
    log = ReviewLog(reviews_path(dataset))
    log.append(decision(items[0], "ann", "accept"))
    log.append(decision(items[2], "ann", "accept"))
    log.append(decision(items[3], "ann", "relabel", 4))
    log.append(decision(items[4], "ann", "reject"))
    first = load_task(str(task))
    assert [i.item_id for i in first.items] == ["alpha/a.mp4", "alpha/b.mp4"]
    log.append(decision(items[5], "ann", "accept"))
    second = load_task(str(task))
    assert [i.item_id for i in second.items] == ["alpha/a.mp4", "alpha/b.mp4", "beta/e.mp4"]
    assert second.fingerprint != first.fingerprint
    everything = load_task(str(write_task(tmp_path, dataset, require_verified=False)))
    assert len(everything.items) == len(ROWS)


def test_verified_share_is_shown_by_data_stats_and_the_leaderboard(dataset, tmp_path):
    from cli_runner import rrbench
    from roboreward_bench.leaderboard.board import _verified_share
    from roboreward_bench.leaderboard.catalog import TaskCatalog

    items = items_of(dataset)
    assert "0.0% human-verified" in rrbench("data", "stats", str(dataset)).stdout
    log = ReviewLog(reviews_path(dataset))
    for item in items[:3]:
        log.append(decision(item, "alice", "accept"))
    log.append(decision(items[3], "alice", "reject"))
    assert "50.0% human-verified" in rrbench("data", "stats", str(dataset)).stdout
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "t.yaml").write_text(f"name: t\nsource: {{kind: local, path: {dataset}}}\n")
    assert _verified_share(TaskCatalog(tasks), "t") == pytest.approx(0.5)
