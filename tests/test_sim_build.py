"""``rrbench data build / verify / stats / preview`` on a one-task split built for real."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil

import pytest

from roboreward_bench.cli.main import cli
from roboreward_bench.data.local import load_local_dataset

pytestmark = pytest.mark.skipif(importlib.util.find_spec("metaworld") is None, reason="needs rrbench[sim]")


def run(argv, capsys):
    try:
        cli(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from roboreward_bench.sim.build import build_split

    out = tmp_path_factory.mktemp("sim") / "dev"
    # val keeps every item (no level selection), so a one-task build shows every kind
    report = build_split("val", out, workers=1, groups_per_task=1, tasks=("drawer-open-v3", "no-such-task-v3"),
                         progress=False, keep_records=True)
    return out, report


def test_build_writes_the_local_format_and_skips_a_broken_task(built):
    out, report = built
    assert report.failed_tasks.keys() == {"no-such-task-v3"}
    assert "no-such-task-v3" in report.failed_tasks["no-such-task-v3"]
    from roboreward_bench.sim.splits import plan_episodes

    assert report.ran == len(plan_episodes("val", groups_per_task=1, tasks=("drawer-open-v3",)))
    dataset = load_local_dataset(out)
    assert len(dataset.items) == report.items > 0 and not dataset.missing_videos
    kinds = {item.kind for item in dataset.items}
    assert {"full", "clip", "counterfactual"} <= kinds
    assert all(item.metadata["mt_task"] == "drawer-open-v3" for item in dataset.items)
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
    assert listed == {"metadata.jsonl", *(item.file_name for item in dataset.items)}


def test_an_interrupted_build_resumes_without_redoing_finished_episodes(built, tmp_path):
    from roboreward_bench.sim.build import build_split

    out, first = built
    copy = tmp_path / "dev"
    shutil.copytree(out, copy)
    (copy / "metadata.jsonl").unlink()
    records = sorted((copy / ".build").glob("*.json"))
    lost = json.loads(records[0].read_text())
    records[0].unlink()                      # as if killed during this episode
    report = build_split("val", copy, workers=1, groups_per_task=1, tasks=("drawer-open-v3",), progress=False)
    assert report.ran == 1 and report.reused == first.ran - 1
    assert (copy / "metadata.jsonl").read_bytes() == (out / "metadata.jsonl").read_bytes()
    assert (copy / lost["file_name"]).is_file()
    assert not (copy / ".build").exists()    # a finished build cleans up its records


def test_verify_passes_then_names_a_corrupted_video(built, tmp_path, capsys):
    out, _ = built
    code, text = run(["data", "verify", str(out), "--all", "--no-progress"], capsys)
    assert code == 0, text
    assert "all match" in text and "all frame labels identical" in text
    share = re.search(r"visibility: (\d+) items re-rendered, ([\d.]+)% show >= 100", text)
    assert share and int(share.group(1)) == len(load_local_dataset(out).items), text

    copy = tmp_path / "broken"
    shutil.copytree(out, copy)
    victim = sorted(copy.rglob("*.mp4"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    code, text = run(["data", "verify", str(copy), "--sample", "1", "--no-progress"], capsys)
    assert code == 1
    assert f"{victim.relative_to(copy).as_posix()}: SHA-256 mismatch" in text


def test_verify_reports_a_label_that_replay_contradicts(built, tmp_path, capsys):
    out, _ = built
    copy = tmp_path / "relabelled"
    shutil.copytree(out, copy)
    rows = [json.loads(line) for line in (copy / "metadata.jsonl").read_text().splitlines()]
    target = next(r for r in rows if r["kind"] == "full")
    target["frame_labels"][0] = 3 if target["frame_labels"][0] != 3 else 2
    (copy / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from roboreward_bench.data.manifest import write_manifest

    write_manifest(copy, ["metadata.jsonl", *{r["file_name"] for r in rows}])
    code, text = run(["data", "verify", str(copy), "--all", "--no-progress"], capsys)
    assert code == 1
    assert f"{target['item_id']}: frame 0: replay labels" in text


def test_stats_and_preview_on_the_built_folder(built, tmp_path, capsys):
    out, _ = built
    code, text = run(["data", "stats", str(out)], capsys)
    assert code == 0
    dataset = load_local_dataset(out)
    assert f"{len(dataset.items)} items" in text
    for header in ("level", "subset", "kind", "split", "novelty"):
        assert re.search(rf"^\|\s*{header}\s*\|", text, re.MULTILINE), header
    recorded = [item.metadata["visible_px"] for item in dataset.items]
    assert f"visible main-object px in the last frame shown ({len(recorded)} items)" in text
    assert f"min {min(recorded)}," in text
    png = tmp_path / "grid.png"
    code, text = run(["data", "preview", str(out), "--out", str(png), "--items", "3", "--frames", "4"], capsys)
    assert code == 0, text
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (4 * 128 + 360, 3 * 128)
