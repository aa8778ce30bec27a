"""``rrbench tasks`` and the CLI's error handling."""

from cli_runner import assert_one_line_error, rrbench


def test_tasks_lists_registered_tasks_with_versions(small_dataset, tmp_path):
    (tmp_path / "mine.yaml").write_text(f"name: mine\nversion: 3\nsource: {{kind: local, path: {small_dataset}}}\n")
    (tmp_path / "hub.yaml").write_text("name: hubtask\nsource: {kind: hf, repo: org/x, revision: abc}\n")
    process = rrbench("tasks", env={"RRBENCH_TASKS_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1",
                                    "HF_HOME": str(tmp_path / "hf")})
    assert process.returncode == 0, process.stderr
    mine = next(line for line in process.stdout.splitlines() if line.startswith("mine"))
    assert mine.split()[1:3] == ["3", "20"]
    hub = next(line for line in process.stdout.splitlines() if line.startswith("hubtask"))
    assert "not available" in hub


def test_repo_tasks_are_all_loadable():
    process = rrbench("tasks", env={"HF_HUB_OFFLINE": "1"})
    assert process.returncode == 0, process.stderr
    assert "roborewardbench" in process.stdout


def test_unknown_command_and_option_fail_cleanly():
    process = rrbench("evall")
    assert process.returncode != 0 and "Traceback" not in process.stderr and "No such command" in process.stderr
    assert_one_line_error(rrbench("eval", "--model", "random", "--shard", "3/2", "--task", "x"), "--shard")
