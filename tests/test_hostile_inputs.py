"""A hostile-input corpus: bad files, bad folders and bad states across eval, score, merge, validate, review, data.

Every case asserts the exit code, one ``rrbench: error:`` line naming the file
or item (for ``validate``, whose report is one line per problem: a line naming
the file), no traceback, and that nothing answered before is lost. The CLI runs
in-process (``cli([...])``, exactly what the ``rrbench`` command calls) to keep
the corpus fast; ``tests/test_run_safety.py`` covers the cases that need a real
subprocess (signals, a second process holding the lock).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from cli_runner import rrbench
from loopback_server import LoopbackServer
from roboreward_bench.cli.main import cli
from roboreward_bench.results.predictions import PredictionRecord, read_predictions
from video_fixtures import small_benchmark_rows, write_dataset


@dataclass
class Workspace:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def yaml(self) -> Path:
        return self.root / "tasks" / "t.yaml"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile-base")
    write_dataset(root / "data", small_benchmark_rows())
    (root / "tasks").mkdir()
    (root / "tasks" / "t.yaml").write_text("name: t\nsource: {kind: local, path: ../data}\nframes: {num_frames: 4}\n"
                                           "bootstrap: {resamples: 50, seed: 0}\n", encoding="utf-8")
    return root


@pytest.fixture
def ws(base, tmp_path) -> Workspace:
    shutil.copytree(base, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


@pytest.fixture(autouse=True)
def keep_sigint():
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """The rrbench entry point in-process: (exit code, stdout, stderr); an escaping exception fails the test."""
    try:
        cli([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def eval_argv(ws: Workspace, *extra: str, task: Path | None = None, model: str = "random") -> list[str]:
    return ["eval", "--task", task or ws.data, "--model", model, "--output-dir", ws.run, "--no-progress",
            "--limit", "6", *extra]


def answered(ws: Workspace, capsys) -> dict[str, PredictionRecord]:
    """Make an answered run in ``ws.run`` first; returns its records (which must survive the case)."""
    code, _, err = run_cli(eval_argv(ws), capsys)
    assert code == 0, err
    return {r.item_id: r for r in read_predictions(ws.run / "predictions.jsonl")}


# -- the corpus ----------------------------------------------------------------------------------------------------
# Each case: (id, setup(ws) -> argv, exit code, needles in the error line ({data}, {run}, {yaml}, {root} filled in),
#             whether a run is answered first and must survive).
Setup = Callable[[Workspace], list]


def _yaml(text: str) -> Setup:
    def setup(ws: Workspace) -> list:
        ws.yaml.write_text("name: t\nsource: {kind: local, path: ../data}\n" + text, encoding="utf-8")
        return eval_argv(ws, task=ws.yaml)
    return setup


def _raw_yaml(content: str | bytes) -> Setup:
    def setup(ws: Workspace) -> list:
        ws.yaml.write_bytes(content if isinstance(content, bytes) else content.encode())
        return eval_argv(ws, task=ws.yaml)
    return setup


def _meta(mutate: Callable[[list[str]], list[str]], command: str = "eval") -> Setup:
    def setup(ws: Workspace) -> list:
        meta = ws.data / "metadata.jsonl"
        lines = meta.read_text(encoding="utf-8").splitlines()
        meta.write_bytes("\n".join(mutate(lines)).encode("utf-8", "surrogateescape") + b"\n")
        return {"eval": eval_argv(ws), "stats": ["data", "stats", ws.data],
                "review": ["review", "stats", ws.data]}[command]
    return setup


def _row(index: int, **change) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        row = json.loads(lines[index])
        row.update(change)
        lines[index] = json.dumps(row)
        return lines
    return mutate


def _video(name: str, how: str) -> Setup:
    def setup(ws: Workspace) -> list:
        path = ws.data / name
        path.unlink()
        if how == "empty":
            path.write_bytes(b"")
        elif how == "folder":
            path.mkdir()
        return eval_argv(ws, "--limit", "20")
    return setup


def _all_videos_missing(ws: Workspace) -> list:
    for video in ws.data.rglob("*.mp4"):
        video.unlink()
    return eval_argv(ws, "--allow-errors")


def _output_is_a_file(ws: Workspace) -> list:
    ws.run.write_text("I am a file")
    return eval_argv(ws)


def _output_under_a_file(ws: Workspace) -> list:
    (ws.root / "afile").write_text("x")
    return ["eval", "--task", ws.data, "--model", "random", "--output-dir", ws.root / "afile" / "run",
            "--no-progress", "--limit", "6"]


def _output_read_only(ws: Workspace) -> list:
    return ["eval", "--task", ws.data, "--model", "random", "--output-dir", "/sys/rrbench-run", "--no-progress",
            "--limit", "6"]


def _run_file(content: bytes) -> Setup:
    def setup(ws: Workspace) -> list:
        (ws.run / "run.json").write_bytes(content)
        return eval_argv(ws)
    return setup


def _other_run(ws: Workspace) -> list:
    return eval_argv(ws, model="constant:3")


def _predictions(mutate: Callable[[bytes], bytes], command: str = "eval") -> Setup:
    def setup(ws: Workspace) -> list:
        path = ws.run / "predictions.jsonl"
        path.write_bytes(mutate(path.read_bytes()))
        if command == "score":
            return ["score", path, "--task", ws.data, "--partial"]
        return eval_argv(ws)
    return setup


def _lines(data: bytes) -> list[bytes]:
    return data.rstrip(b"\n").split(b"\n")


def _tear_in_multibyte(data: bytes) -> bytes:
    """The last line becomes one whose raw_text holds 'é…' cut inside the multi-byte '…'."""
    lines = _lines(data)
    row = json.loads(lines[-1])
    row["raw_text"] = "é… ANSWER: 3"
    torn = json.dumps(row, ensure_ascii=False).encode()
    cut = torn.index("…".encode()) + 1
    return b"\n".join(lines[:-1]) + b"\n" + torn[:cut]


def _bad_middle_line(replacement: bytes) -> Callable[[bytes], bytes]:
    def mutate(data: bytes) -> bytes:
        lines = _lines(data)
        lines[2] = replacement
        return b"\n".join(lines) + b"\n"
    return mutate


def _duplicate_line(data: bytes) -> bytes:
    lines = _lines(data)
    return b"\n".join(lines + [lines[0]]) + b"\n"


def _held_lock(ws: Workspace) -> list:
    from roboreward_bench.evaluation.run_lock import RunLock

    ws.held = RunLock(ws.run).acquire()  # held by this (live) process
    return eval_argv(ws)


def _stale_lock(ws: Workspace) -> list:
    (ws.run / ".rrbench.lock").write_text("999999\n")  # left by a process that died
    return eval_argv(ws)


def _score_missing(ws: Workspace) -> list:
    return ["score", ws.root / "nope.jsonl", "--task", ws.data]


def _score_folder(ws: Workspace) -> list:
    (ws.root / "dir.jsonl").mkdir()
    return ["score", ws.root / "dir.jsonl", "--task", ws.data]


def _score_incomplete(ws: Workspace) -> list:
    return ["score", ws.run / "predictions.jsonl", "--task", ws.data]


def _score_output_under_file(ws: Workspace) -> list:
    (ws.root / "afile").write_text("x")
    return ["score", ws.run / "predictions.jsonl", "--task", ws.data, "--partial", "--output",
            ws.root / "afile" / "results.json"]


def _reviews(content: bytes, command: str = "stats") -> Setup:
    def setup(ws: Workspace) -> list:
        (ws.data / "reviews.jsonl").write_bytes(content)
        return ["review", "stats", ws.data] if command == "stats" else \
            ["review", "export", ws.data, "--out", ws.root / "exported"]
    return setup


def _export_over_file(ws: Workspace) -> list:
    (ws.root / "exported").write_text("x")
    return ["review", "export", ws.data, "--out", ws.root / "exported"]


def _preview_under_file(ws: Workspace) -> list:
    (ws.root / "afile").write_text("x")
    return ["data", "preview", ws.data, "--out", ws.root / "afile" / "sheet.png", "--items", "2"]


def _shards(ws: Workspace, capsys, model: str = "random") -> list[Path]:
    folders = []
    for i in (1, 2):
        out = ws.root / f"shard{i}"
        code, _, err = run_cli(["eval", "--task", ws.data, "--model", model, "--output-dir", out, "--no-progress",
                                "--shard", f"{i}/2", "--allow-errors"], capsys)
        assert code == 0, err
        folders.append(out)
    return folders


CASES: list[tuple[str, Setup, int, tuple[str, ...], bool]] = [
    # task specs
    ("yaml-negative-penalty", _yaml("invalid_rule: {abs_error: -1.5}\n"), 2,
     ("{yaml}: invalid_rule.abs_error: must be > 0 (got -1.5)",), False),
    ("yaml-metrics-not-a-list", _yaml("metrics: 5\n"), 2, ("{yaml}: metrics: must be a list",), False),
    ("yaml-fps-zero", _yaml("frames: {fps: 0}\n"), 2, ("{yaml}: frames.fps: must be > 0",), False),
    ("yaml-string-number", _yaml("success_threshold: '4'\n"), 2, ("{yaml}: success_threshold",), False),
    ("yaml-bool-resamples", _yaml("bootstrap: {resamples: true}\n"), 2, ("{yaml}: bootstrap.resamples",), False),
    ("yaml-typo-key", _yaml("metric: [regression]\n"), 2, ("{yaml}: unknown key 'metric'", "'metrics'"), False),
    ("yaml-duplicate-key", _yaml("version: 1\nversion: 2\n"), 2, ("{yaml}", "'version' appears twice"), False),
    ("yaml-not-utf8", _raw_yaml(b"name: t\xe9\n"), 2, ("{yaml}: not UTF-8",), False),
    ("yaml-empty", _raw_yaml(""), 2,
     ("{yaml}: a task file must be a YAML mapping",), False),
    ("yaml-is-a-folder", lambda ws: (ws.yaml.unlink(), ws.yaml.mkdir(), eval_argv(ws, task=ws.yaml))[2], 2,
     ("{yaml}: is a folder",), False),
    ("yaml-source-missing", _raw_yaml("name: t\nsource: {kind: local, path: ../nowhere}\n"), 2,
     ("nowhere", "not a dataset folder"), False),
    ("yaml-name-escapes", _raw_yaml("name: ../../x\nsource: {kind: local, path: ../data}\n"), 2,
     ("{yaml}: name:",), False),
    ("yaml-hf-without-revision", _raw_yaml("name: t\nsource: {kind: hf, repo: a/b}\n"), 2,
     ("{yaml}: source: an hf source needs",), False),
    # dataset rows
    ("meta-not-utf8", _meta(lambda lines: lines[:1] + ['{"file_name": "alpha/episode_0.mp4", "task": "caf\udce9"}']
                            + lines[1:]), 2, ("{data}/metadata.jsonl:2: not UTF-8",), False),
    ("meta-not-utf8-first-row", _meta(lambda lines: ['{"file_name": "alpha/episode_0.mp4", "task": "caf\udce9"}']
                                      + lines), 2, ("{data}/metadata.jsonl:1: not UTF-8",), False),
    ("meta-torn-json", _meta(lambda lines: lines + ['{"file_name": "alpha/e']), 2,
     ("{data}/metadata.jsonl:", "not valid JSON"), False),
    ("meta-label-out-of-range", _meta(_row(0, reward=7)), 2, ("{data}/metadata.jsonl:1",), False),
    ("meta-duplicate-id", _meta(lambda lines: lines + [lines[0]]), 2, ("{data}/metadata.jsonl:", "duplicate"),
     False),
    ("meta-array-row", _meta(lambda lines: ["[1, 2]"] + lines), 2, ("{data}/metadata.jsonl:1",), False),
    ("meta-empty", _meta(lambda lines: []), 2, ("{data}/metadata.jsonl",), False),
    ("meta-clip-end-not-int", _meta(_row(1, clip_end="ten")), 2, ("{data}/metadata.jsonl:2",), False),
    ("meta-stats-bad-row", _meta(_row(0, reward="five"), command="stats"), 2, ("{data}/metadata.jsonl:1",), False),
    ("meta-review-bad-row", _meta(lambda lines: lines + ["not json"], command="review"), 2,
     ("{data}/metadata.jsonl:", "not valid JSON"), False),
    # review and data commands
    ("review-garbage-line", _reviews(b'{"item_id": "a"}\n{{{\n'), 2, ("{data}/reviews.jsonl:1",), False),
    ("review-not-utf8-line", _reviews(b'\xff\xfe\n'), 2, ("{data}/reviews.jsonl:1", "not valid JSON"), False),
    ("review-export-bad-log", _reviews(b'[1]\n', command="export"), 2, ("{data}/reviews.jsonl:1",), False),
    ("review-export-over-file", _export_over_file, 2, ("{root}/exported",), False),
    ("review-not-a-dataset", lambda ws: ["review", "stats", ws.root / "tasks"], 2, ("{root}/tasks",), False),
    ("data-stats-unknown-task", lambda ws: ["data", "stats", "rrb-simm"], 2, ("rrb-simm", "Did you mean"), False),
    ("data-stats-bad-yaml", lambda ws: (ws.yaml.write_text("name: t\nsource: {kind: local, path: ../data}\n"
                                                           "frames: {num_frames: -2}\n"),
                                        ["data", "stats", ws.yaml])[1], 2, ("{yaml}: frames.num_frames",), False),
    ("data-preview-under-file", _preview_under_file, 2, ("{root}/afile",), False),
    # videos
    ("video-missing", _video("alpha/episode_0.mp4", "missing"), 2, ("{data}/alpha/episode_0.mp4: missing",), False),
    ("video-empty", _video("beta/episode_1.mp4", "empty"), 2, ("{data}/beta/episode_1.mp4: empty",), False),
    ("video-is-folder", _video("gamma/episode_2.mp4", "folder"), 2, ("{data}/gamma/episode_2.mp4: not a file",),
     False),
    ("videos-all-missing", _all_videos_missing, 2, ("6 of 6 items have an unusable video",), False),
    # output folders and run state
    ("output-is-a-file", _output_is_a_file, 2, ("{run}: is a file",), False),
    ("output-under-a-file", _output_under_a_file, 2, ("{root}/afile",), False),
    ("output-read-only", _output_read_only, 2, ("/sys/rrbench-run", "permission denied"), False),
    ("run-json-empty", _run_file(b""), 2, ("{run}/run.json: empty", "delete run.json"), True),
    ("run-json-torn", _run_file(b'{"task": "t", "mod'), 2, ("{run}/run.json: torn",), True),
    ("run-json-list", _run_file(b"[1, 2]"), 2, ("{run}/run.json: not a run description",), True),
    ("run-json-not-utf8", _run_file(b'{"task": "\xff"}'), 2, ("{run}/run.json: not UTF-8",), True),
    ("run-of-another-model", _other_run, 2, ("{run}: holds a different run",), True),
    ("predictions-middle-not-utf8", _predictions(_bad_middle_line(b'{"item_id": "\xff"}')), 2,
     ("{run}/predictions.jsonl:3: not UTF-8",), True),
    ("predictions-middle-garbage", _predictions(_bad_middle_line(b"{{{")), 2,
     ("{run}/predictions.jsonl:3: not valid JSON",), True),
    ("predictions-duplicate", _predictions(_duplicate_line), 2, ("{run}/predictions.jsonl:7: duplicate item_id",),
     True),
    ("predictions-wrong-type", _predictions(_bad_middle_line(b'{"item_id": 5, "raw_text": "", "parsed": null, '
                                                             b'"valid": false}')), 2,
     ("{run}/predictions.jsonl:3: item_id",), True),
    ("lock-held", _held_lock, 2, (f"another rrbench (PID {os.getpid()}) is writing",), True),
    # score
    ("score-missing-file", _score_missing, 2, ("{root}/nope.jsonl: no such predictions file",), False),
    ("score-folder", _score_folder, 2, ("{root}/dir.jsonl",), False),
    ("score-incomplete", _score_incomplete, 2, ("{run}/predictions.jsonl:", "have no prediction"), True),
    ("score-not-utf8", _predictions(_bad_middle_line(b'{"raw_text": "\xc3"}'), command="score"), 2,
     ("{run}/predictions.jsonl:3: not UTF-8",), True),
    ("score-torn-last-line", _predictions(_tear_in_multibyte, command="score"), 2,
     ("{run}/predictions.jsonl:6",), True),
    ("score-output-under-file", _score_output_under_file, 2, ("{root}/afile",), True),
]


@pytest.mark.parametrize("case_id,setup,code,needles,has_run", CASES, ids=[c[0] for c in CASES])
def test_hostile_case(ws, capsys, case_id, setup, code, needles, has_run):
    before = answered(ws, capsys) if has_run else {}
    before_lines = _lines((ws.run / "predictions.jsonl").read_bytes()) if has_run else []
    try:
        argv = setup(ws)
        exit_code, out, err = run_cli(argv, capsys)
    finally:
        held = getattr(ws, "held", None)
        if held is not None:
            held.release()
    assert exit_code == code, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    errors = [line for line in err.splitlines() if line.startswith("rrbench: error:")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle.format(data=ws.data, run=ws.run, yaml=ws.yaml, root=ws.root) in errors[0], errors[0]
    if before:  # nothing answered before is lost: every answered line is still there, byte for byte
        after = set(_lines((ws.run / "predictions.jsonl").read_bytes()))
        lost = [line for line in before_lines if line not in after]
        damaged_on_purpose = 1 if case_id.startswith(("predictions-", "score-")) else 0
        assert len(lost) <= damaged_on_purpose, lost


# -- cases that succeed, or fail with a list, and still lose nothing -------------------------------------------------

def test_torn_multibyte_last_line_resumes(ws, capsys):
    before = answered(ws, capsys)
    path = ws.run / "predictions.jsonl"
    path.write_bytes(_tear_in_multibyte(path.read_bytes()))
    torn_id = sorted(set(before) - {r.item_id for r in read_predictions(path, allow_partial_last_line=True)})[0]
    code, _, err = run_cli(eval_argv(ws), capsys)
    assert code == 0, err
    after = {r.item_id: r for r in read_predictions(path)}
    assert set(after) == set(before)  # the torn item was asked again, once
    assert all(after[i] == r for i, r in before.items() if i != torn_id)


def test_stale_lock_file_does_not_block(ws, capsys):
    before = answered(ws, capsys)
    code, _, err = run_cli(_stale_lock(ws), capsys)
    assert code == 0, err
    assert {r.item_id: r for r in read_predictions(ws.run / "predictions.jsonl")} == before


def test_merge_lists_failed_items_and_exits_1(ws, capsys):
    (ws.data / "alpha" / "episode_0.mp4").write_bytes(b"\x00" * 100)  # unreadable, not missing
    shards = _shards(ws, capsys)
    code, out, err = run_cli(["merge", *shards, "--output-dir", ws.root / "merged"], capsys)
    assert code == 1 and "Traceback" not in err
    assert "alpha/episode_0.mp4" in err and "failed" in err
    merged = read_predictions(ws.root / "merged" / "predictions.jsonl")
    assert len(merged) == 20  # every shard record kept
    code, _, err = run_cli(["merge", *shards, "--output-dir", ws.root / "merged2", "--allow-errors"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("damage,needle", [
    ("no-run-json", "not an rrbench run folder"),
    ("torn-run-json", "run.json: torn"),
    ("shard-not-a-list", "must come from 'rrbench eval --shard"),
    ("same-shard-twice", "do not cover"),
    ("output-is-a-file", "is a file"),
])
def test_merge_hostile(ws, capsys, damage, needle):
    shards = _shards(ws, capsys)
    before = {r.item_id: r for s in shards for r in read_predictions(s / "predictions.jsonl")}
    output = ws.root / "merged"
    if damage == "no-run-json":
        (shards[1] / "run.json").unlink()
    elif damage == "torn-run-json":
        (shards[1] / "run.json").write_text('{"task": ')
    elif damage == "shard-not-a-list":
        identity = json.loads((shards[1] / "run.json").read_text())
        (shards[1] / "run.json").write_text(json.dumps({**identity, "shard": 5}))
        identity0 = json.loads((shards[0] / "run.json").read_text())
        (shards[0] / "run.json").write_text(json.dumps({**identity0, "shard": 5}))
    elif damage == "same-shard-twice":
        shards = [shards[0], shards[0]]
    elif damage == "output-is-a-file":
        output.write_text("x")
    code, _, err = run_cli(["merge", *shards, "--output-dir", output], capsys)
    assert code == 2 and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("rrbench: error:")]
    assert len(errors) == 1 and needle in errors[0], err
    after = {r.item_id: r for s in {*shards} for r in read_predictions(s / "predictions.jsonl")}
    assert all(after[i] == r for i, r in before.items() if i in after)


def _corrupt_cache(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not a database" * 200)
        return
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # keep the header page, scramble every other page
        data[start + 8:start + 200] = os.urandom(192)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "pages"])
def test_corrupted_response_cache_is_moved_aside_and_the_run_goes_on(ws, capsys, how):
    cache = ws.root / "cache" / "responses.sqlite"
    with LoopbackServer() as server:
        argv = ["eval", "--task", str(ws.data), "--model", "openai:m", "--model-args",
                f"base_url={server.base_url},max_retries=0", "--output-dir", str(ws.run),
                "--no-progress", "--limit", "6", "--cache-path", str(cache)]
        first = rrbench(*argv)  # separate processes, as two real runs are
        assert first.returncode == 0, first.stderr
        with sqlite3.connect(cache) as db:
            assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 6
        _corrupt_cache(cache, how)
        shutil.rmtree(ws.run)
        second = rrbench(*argv)
    code, err = second.returncode, second.stderr
    assert code == 0, err
    assert "Traceback" not in err and f"response cache {cache} is corrupted" in err
    assert list(cache.parent.glob("responses.sqlite.corrupt-*"))
    assert len(read_predictions(ws.run / "predictions.jsonl")) == 6


def test_full_disk_is_one_line_and_resumable(ws, capsys, tmp_path):
    """A file-size limit stands in for a full disk: writes fail with an OS error part-way through the run."""
    import subprocess
    import sys

    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))

    argv = [sys.executable, "-m", "roboreward_bench.cli.main", *map(str, eval_argv(ws, "--limit", "20"))]
    done = subprocess.run(argv, capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("rrbench: error:")]
    assert len(errors) == 1 and str(ws.run) in errors[0], done.stderr
    assert "file too large" in errors[0] and "run the same command again to resume" in errors[0], errors[0]
    kept = read_predictions(ws.run / "predictions.jsonl", allow_partial_last_line=True)
    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    final = {r.item_id: r for r in read_predictions(ws.run / "predictions.jsonl")}
    assert len(final) == 20 and all(final[r.item_id] == r for r in kept)


def test_validate_reports_hostile_submission_files(tmp_path, capsys):
    from leaderboard_fixtures import seeded_answer, write_task, write_verified
    from roboreward_bench.leaderboard.catalog import TaskCatalog

    tasks = write_task(tmp_path)
    catalog = TaskCatalog(tasks)
    root = tmp_path / "submissions"
    good = write_verified(root, catalog, "org", "good", lambda item: seeded_answer(item, 0))
    latin = write_verified(root, catalog, "org", "latin", lambda item: seeded_answer(item, 1))
    (latin / "submission.yaml").write_bytes((latin / "submission.yaml").read_bytes() + b"notes: caf\xe9\n")
    torn = write_verified(root, catalog, "org", "torn", lambda item: seeded_answer(item, 2))
    data = (torn / "predictions.jsonl").read_bytes()
    (torn / "predictions.jsonl").write_bytes(data[: len(data) - 7])
    code, out, err = run_cli(["validate", "--root", root, "--tasks-dir", tasks, "--no-cache"], capsys)
    assert code == 1 and "Traceback" not in out + err
    report = out + err
    assert any(str(latin / "submission.yaml") in line and "UTF-8" in line for line in report.splitlines()), report
    assert any(str(torn / "predictions.jsonl") in line for line in report.splitlines()), report
    assert not any(str(good) in line and "error" in line.lower() for line in report.splitlines()), report


def test_user_aliases_file_not_utf8_is_one_line(ws, capsys, monkeypatch):
    from roboreward_bench.models.aliases import USER_ALIASES_ENV

    aliases = ws.root / "aliases.yaml"
    aliases.write_bytes(b"mine:\n  spec: hf:caf\xe9\n")
    monkeypatch.setenv(USER_ALIASES_ENV, str(aliases))
    code, _, err = run_cli(eval_argv(ws, model="mine"), capsys)
    assert code == 2 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("rrbench: error:")] == [
        f"rrbench: error: {aliases}: not UTF-8 text; save the aliases file as UTF-8"]


def test_manifest_not_utf8_is_one_line(ws, capsys):
    (ws.data / "SHA256SUMS").write_bytes(b"\xff" * 70 + b"  alpha/episode_0.mp4\n")
    code, out, err = run_cli(["data", "verify", ws.data, "--no-progress"], capsys)
    assert code == 1 and "Traceback" not in out + err  # verify reports problems, one line each, and exits 1
    assert [line.strip() for line in out.splitlines() if "SHA256SUMS:" in line and "UTF-8" in line] == [
        f"{ws.data}/SHA256SUMS: not UTF-8 text (byte offset 0); regenerate it with sha256sum"], out
