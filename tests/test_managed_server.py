"""Managed inference servers (serve:/vllm:/sglang:), run for real with ``transformers serve`` and the tiny Qwen.

Every test that starts a server checks afterwards, from /proc, that no process
of it is left: not after success, not after an error, not after Ctrl-C and not
after SIGKILL of rrbench itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_runner import RRBENCH, assert_one_line_error, rrbench
from roboreward_bench.models.server_guard import descendants
from roboreward_bench.models.server_launchers import public_command
from roboreward_bench.models.server_process import port_in_use
from roboreward_bench.results.predictions import read_predictions

pytest_plugins = ["conftest_models"]
pytestmark = pytest.mark.timeout(400)


def _env(tmp_path: Path) -> dict[str, str]:
    # A fresh HF_HOME without hub/ in it: rrbench must create what transformers serve needs.
    return {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "1"}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _processes_mentioning(text: str) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and int(p.name) != os.getpid() and text in _cmdline(int(p.name))
            and _running(int(p.name))]


def _wait_gone(pids: list[int], timeout: float = 40.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _running(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in pids if _running(pid)]


def _serve_args(model_dir: Path, extra: str = "") -> list[str]:
    return ["--model", f"serve:{model_dir}", "--model-args",
            "launcher=transformers,device=cpu,max_tokens=8" + (f",{extra}" if extra else "")]


def test_managed_transformers_serve_run_starts_uses_and_stops(tiny_qwen25_dir, tmp_path):
    out = tmp_path / "run"
    process = rrbench("eval", "--task", "rrb-sim-dev", *_serve_args(tiny_qwen25_dir), "--limit", "4",
                      "--output-dir", str(out), "--no-cache", "--no-progress", "--allow-errors", env=_env(tmp_path))
    assert process.returncode == 0, process.stderr
    assert "from launch to first request" in process.stderr
    records = read_predictions(out / "predictions.jsonl")
    assert len(records) == 4 and all(r.error is None and r.raw_text for r in records), records
    server = json.loads((out / "results.json").read_text())["model"]["details"]["server"]
    import transformers

    assert server["launcher"] == "transformers" and server["version"] == transformers.__version__
    assert server["command"][1:3] == ["serve", str(tiny_qwen25_dir.resolve())]
    assert server["stopped"] is True and server["startup_seconds"] > 0
    log = (out / "server.log").read_text()
    assert log.count('"POST /v1/chat/completions HTTP/1.1" 200') == 5  # the warm-up request + 4 items
    assert "Shutting down" in log  # stopped with SIGTERM, not left to die
    assert not port_in_use(server["port"])
    assert _processes_mentioning(f"--port {server['port']}") == []


def _start_eval(model_dir: Path, tmp_path: Path, out: Path) -> subprocess.Popen:
    args = ["eval", "--task", "rrb-sim-dev", *_serve_args(model_dir, "max_tokens=64,concurrency=1"),
            "--output-dir", str(out), "--no-cache", "--no-progress", "--allow-errors"]
    return subprocess.Popen([*RRBENCH, *args], env={**os.environ, **_env(tmp_path)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_until_answering(rrb: subprocess.Popen, out: Path) -> list[int]:
    """Block until the server has answered a real item; returns rrbench's descendants (guard, server)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert rrb.poll() is None, rrb.communicate()
        records = out / "predictions.jsonl"
        if records.exists() and records.read_text().count("\n") >= 1:
            children = descendants(rrb.pid)
            assert any("serve" in _cmdline(pid) for pid in children), [_cmdline(p) for p in children]
            return children
        time.sleep(0.2)
    raise AssertionError("the managed server never answered an item")


def test_sigkill_of_rrbench_leaves_no_server_behind(tiny_qwen25_dir, tmp_path):
    out = tmp_path / "run"
    rrb = _start_eval(tiny_qwen25_dir, tmp_path, out)
    children = _wait_until_answering(rrb, out)
    rrb.kill()  # SIGKILL: no finally, no atexit; only the guard's pipe notices
    rrb.communicate(timeout=30)
    assert _wait_gone(children) == [], [_cmdline(pid) for pid in children]


def test_ctrl_c_stops_the_server_and_keeps_answers(tiny_qwen25_dir, tmp_path):
    out = tmp_path / "run"
    rrb = _start_eval(tiny_qwen25_dir, tmp_path, out)
    children = _wait_until_answering(rrb, out)
    rrb.send_signal(signal.SIGINT)
    _, stderr = rrb.communicate(timeout=120)
    assert rrb.returncode == 130, stderr
    assert "stopped transformers serve" in stderr
    assert [pid for pid in children if _running(pid)] == []  # already gone when rrbench exits
    assert len(read_predictions(out / "predictions.jsonl", allow_partial_last_line=True)) >= 1
    assert "Shutting down" in (out / "server.log").read_text()


def test_a_model_the_server_cannot_load_gives_one_line_with_the_log_tail(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "qwen2_5_vl", ')
    out = tmp_path / "run"
    process = rrbench("eval", "--task", "rrb-sim-dev", *_serve_args(broken), "--limit", "2",
                      "--output-dir", str(out), "--no-cache", "--no-progress", env=_env(tmp_path))
    line = assert_one_line_error(process, "transformers serve", "exited during start-up", str(out / "server.log"))
    assert "not a valid JSON file" in line  # the log's last line, i.e. the server's own reason
    assert _processes_mentioning(str(broken)) == []


def test_a_server_that_never_becomes_healthy_is_stopped(tiny_qwen25_dir, tmp_path):
    out = tmp_path / "run"
    process = rrbench("eval", "--task", "rrb-sim-dev", *_serve_args(tiny_qwen25_dir, "startup_timeout=0.5"),
                      "--limit", "2", "--output-dir", str(out), "--no-cache", "--no-progress", env=_env(tmp_path))
    assert_one_line_error(process, "did not become healthy within 0 s", "startup_timeout", "ends:")
    assert _wait_gone(_processes_mentioning(f"serve {tiny_qwen25_dir.resolve()}"), timeout=5) == []


def test_a_port_in_use_is_refused_before_launch(tiny_qwen25_dir, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = rrbench("eval", "--task", "rrb-sim-dev", *_serve_args(tiny_qwen25_dir, f"port={port}"),
                          "--limit", "1", "--output-dir", str(tmp_path / "run"), "--no-cache", "--no-progress",
                          env=_env(tmp_path))
    assert_one_line_error(process, f"port {port}", "already in use", "omit port=")
    assert _processes_mentioning(f"--port {port}") == []


@pytest.mark.parametrize("spec, needles", [
    ("vllm:Qwen/Qwen2.5-VL-7B-Instruct", ("vLLM is not installed", "pip install vllm", "--model openai:")),
    ("sglang:Qwen/Qwen2.5-VL-7B-Instruct", ("SGLang is not installed", "pip install", "base_url=")),
])
def test_missing_server_package_says_how_to_install_or_use_openai(spec, needles, tmp_path):
    pytest.importorskip("pytest")
    for package in ("vllm", "sglang"):
        if spec.startswith(package) and __import__("importlib").util.find_spec(package) is not None:
            pytest.skip(f"{package} is installed here")
    process = rrbench("eval", "--task", "rrb-sim-dev", "--model", spec, "--limit", "1",
                      "--output-dir", str(tmp_path / "run"), "--no-progress")
    assert_one_line_error(process, *needles)
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.parametrize("spec, args, needles", [
    ("serve:x/y", "", ("launcher=vllm|sglang|transformers",)),
    ("serve:x/y", "launcher=tgi", ("'launcher' must be one of",)),
    ("serve:x/y", "launcher=transformers,tensor_parallel_size=2", ("launcher=vllm",)),
    ("serve:x/y", "launcher=transformers,tensor_paralel_size=2", ("Did you mean 'tensor_parallel_size'",)),
    ("serve:x/y", "launcher=transformers,base_url=http://h:1/v1", ("set by rrbench", "openai:")),
    ("serve:", "launcher=transformers", ("needs a hub id or a checkpoint folder",)),
    ("serve:x/y", "launcher=transformers,port=70000", ("1..65535",)),
])
def test_bad_server_settings_are_one_line(spec, args, needles, tmp_path):
    process = rrbench("eval", "--task", "rrb-sim-dev", "--model", spec, "--model-args", args, "--limit", "1",
                      "--output-dir", str(tmp_path / "run"), "--no-progress", env=_env(tmp_path))
    assert_one_line_error(process, *needles)


def test_command_line_is_recorded_without_secrets():
    command = ["vllm", "serve", "org/m", "--api-key", "sk-abcdefghijklmnop", "--hf-token=hf_secret_value",
               "--tokenizer", "org/tok", "--served-model-name", "m"]
    public = public_command(command)
    assert "sk-abcdefghijklmnop" not in " ".join(public) and "hf_secret_value" not in " ".join(public)
    assert public[public.index("--tokenizer") + 1] == "org/tok"  # a tokenizer is not a token
    assert public[:3] == command[:3] and public[-2:] == command[-2:]


_STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a worker that ignores SIGTERM: only SIGKILL ends it
if os.fork() == 0:
    os.setsid()                                  # and one that leaves the process group
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


def test_guard_kills_group_and_escaped_descendants_when_its_parent_goes(tmp_path):
    log = tmp_path / "server.log"
    guard = subprocess.Popen([sys.executable, "-m", "roboreward_bench.models.server_guard", str(log), "1", "--",
                              sys.executable, "-c", _STUBBORN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             start_new_session=True)
    server_pid = int(guard.stdout.readline())
    deadline = time.monotonic() + 30
    while log.read_text().count("ready") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    family = [server_pid, *descendants(server_pid)]
    assert len(family) == 2 and all(_running(pid) for pid in family)
    guard.stdin.close()  # what happens when rrbench exits or is killed
    assert guard.wait(timeout=20) is not None
    assert _wait_gone(family, timeout=5) == []


def test_fingerprint_ignores_port_and_parallelism_but_not_generation_or_weights(tiny_qwen25_dir, tmp_path):
    from roboreward_bench.models.base import ModelContext
    from roboreward_bench.models.registry import build_model

    def fingerprint(spec: str, **args) -> str:
        return build_model(spec, {"launcher": "transformers", **args}, ModelContext())[1].fingerprint

    base = fingerprint(f"serve:{tiny_qwen25_dir}")
    assert fingerprint(f"serve:{tiny_qwen25_dir}", port=18001, concurrency=7, startup_timeout=5) == base
    assert fingerprint(f"serve:{tiny_qwen25_dir}", max_tokens=11) != base
    assert fingerprint(f"serve:{tiny_qwen25_dir}", dtype="bfloat16") != base
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(tiny_qwen25_dir, copy)
    assert fingerprint(f"serve:{copy}") == base  # the weights, not where they are
    assert fingerprint("serve:org/other-model") != base


def test_parallelism_and_memory_settings_reach_the_server_command_line():
    from roboreward_bench.models.server_launchers import LAUNCHERS, ServerOptions

    options = ServerOptions("org/m", "127.0.0.1", 8123, tensor_parallel_size=4, data_parallel_size=2,
                            gpu_memory_utilization=0.85, max_model_len=32768, dtype="bfloat16", max_images=32,
                            server_args="--enforce-eager --served-model-name m")
    vllm = LAUNCHERS["vllm"]
    args = vllm.build(vllm, options)
    pairs = dict(zip(args[2::2], args[3::2]))
    assert args[:2] == ["serve", "org/m"] and pairs["--port"] == "8123" and pairs["--host"] == "127.0.0.1"
    assert pairs["--tensor-parallel-size"] == "4" and pairs["--data-parallel-size"] == "2"
    assert pairs["--gpu-memory-utilization"] == "0.85" and pairs["--max-model-len"] == "32768"
    assert json.loads(pairs["--limit-mm-per-prompt"]) == {"image": 32, "video": 1}
    sglang = LAUNCHERS["sglang"]
    args = sglang.build(sglang, options)
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs["--model-path"] == "org/m" and pairs["--tp-size"] == "4" and pairs["--dp-size"] == "2"
    assert pairs["--mem-fraction-static"] == "0.85" and pairs["--context-length"] == "32768"
    transformers = LAUNCHERS["transformers"]
    command = transformers.command(ServerOptions("org/m", "127.0.0.1", 8123, server_args="--log-level info"))
    assert command[-2:] == ["--log-level", "info"] and "--device" in command
