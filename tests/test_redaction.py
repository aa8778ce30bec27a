"""Secrets never reach what rrbench writes: results.json, run.json, predictions, the cache, logs, submissions."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from cli_runner import rrbench
from loopback_server import LoopbackServer, Reply, echo_authorization
from roboreward_bench.models.redaction import MASK, install_log_redaction, redact, redact_data

KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c"
PASSWORD = "hunter2-very-secret"
QUERY_TOKEN = "qtok-998877665544"


@pytest.mark.parametrize("text,secret", [
    (f"http://alice:{PASSWORD}@host:8000/v1", PASSWORD),
    (f"https://{PASSWORD}@host/v1", PASSWORD),
    (f"connect to http://h/v1?token={QUERY_TOKEN}&x=1 failed", QUERY_TOKEN),
    (f"http://h/v1?x=1&access_token={QUERY_TOKEN}", QUERY_TOKEN),
    (f"http://h/v1?sig={QUERY_TOKEN}", QUERY_TOKEN),
    (f"http://h/v1?client_secret={QUERY_TOKEN}#frag", QUERY_TOKEN),
    (f"wss://h/socket?password={QUERY_TOKEN}", QUERY_TOKEN),
    (f"Authorization: Bearer {QUERY_TOKEN}", QUERY_TOKEN),
    ("invalid credentials: Basic YWxpY2U6aHVudGVyMg==", "YWxpY2U6aHVudGVyMg=="),
    (f"error: invalid key {KEY}", KEY),
])
def test_redact_masks_each_class(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned and MASK in cleaned


def test_redact_keeps_what_is_not_secret():
    text = "http://127.0.0.1:8000/v1/chat/completions?model=qwen&stream=false"
    assert redact(text) == text


def test_redact_data_masks_secret_named_values_only():
    args = {"base_url": f"http://u:{PASSWORD}@h/v1", "api_key": KEY, "hf_token": "hf_abcdefgh",
            "client_secret": "x1", "db_password": "pw", "OpenAIKey": "k", "api_key_env": "OPENAI_API_KEY",
            "max_tokens": 64, "max_new_tokens": 8, "max_tokens_param": "max_tokens", "tokenizer": "qwen",
            "nested": [{"session_token": "abc"}], "concurrency": 4}
    safe = redact_data(args)
    assert PASSWORD not in json.dumps(safe) and KEY not in json.dumps(safe)
    for name in ("api_key", "hf_token", "client_secret", "db_password", "OpenAIKey"):
        assert safe[name] == MASK, name
    assert safe["nested"][0]["session_token"] == MASK
    for name in ("api_key_env", "max_tokens", "max_new_tokens", "max_tokens_param", "tokenizer", "concurrency"):
        assert safe[name] == args[name], name


def test_log_records_are_scrubbed(caplog):
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("httpx").info("HTTP Request: POST %s", f"http://bob:{PASSWORD}@h/v1?api_key={KEY}")
    assert PASSWORD not in caplog.text and KEY not in caplog.text and MASK in caplog.text


def _all_bytes(*roots) -> bytes:
    data = b""
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                data += path.read_bytes()
    return data


def test_eval_writes_no_secret_anywhere(small_dataset, tmp_path):
    out, cache = tmp_path / "run", tmp_path / "cache"
    plan = [Reply(401, body=echo_authorization)]  # a careless server echoing the bearer token back
    with LoopbackServer(plan=plan) as server:
        port = server.base_url.split(":")[2].split("/")[0]
        base_url = f"http://alice:{PASSWORD}@127.0.0.1:{port}/v1"
        done = rrbench("eval", "--task", str(small_dataset), "--model", "openai:test-model", "--model-args",
                       f"base_url={base_url},api_key_env=RRB_TEST_KEY,concurrency=1,max_retries=0",
                       "--limit", "3", "--output-dir", str(out), "--cache-path", str(cache / "responses.sqlite"),
                       "--no-progress", env={"RRB_TEST_KEY": KEY}, timeout=120)
    assert done.returncode == 1, done.stderr  # the 401 item failed
    assert server.seen, "the server was reached"
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["args"]["base_url"] == f"http://{MASK}@127.0.0.1:{port}/v1"
    written = _all_bytes(out, cache) + done.stdout.encode() + done.stderr.encode()
    assert (out / "run.json").is_file() and (out / "predictions.jsonl").is_file()
    basic = base64.b64encode(f"alice:{PASSWORD}".encode())  # httpx turns URL user-info into basic auth
    assert PASSWORD.encode() not in written and KEY.encode() not in written and basic not in written
    errors = [json.loads(line)["error"] for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert any(e and MASK in e for e in errors)  # the echoed key was there, and masked


def test_submit_copy_masks_secrets_an_older_run_wrote(tmp_path):
    from roboreward_bench.leaderboard.submit import _copy_redacted

    run, folder = tmp_path / "run", tmp_path / "sub"
    run.mkdir()
    folder.mkdir()
    line = {"item_id": "a", "raw_text": "", "parsed": None, "valid": False,
            "error": f"APIConnectionError: http://u:{PASSWORD}@h/v1?token={QUERY_TOKEN}"}
    (run / "predictions.jsonl").write_text(json.dumps(line) + "\n" + json.dumps({**line, "item_id": "b",
                                                                                  "error": None}) + "\n")
    (run / "results.json").write_text(json.dumps({"model": {"args": {"base_url": f"http://u:{PASSWORD}@h",
                                                                      "api_key": KEY}}}))
    _copy_redacted(run, folder)
    copied = _all_bytes(folder)
    assert PASSWORD.encode() not in copied and QUERY_TOKEN.encode() not in copied and KEY.encode() not in copied
    assert [json.loads(x)["item_id"] for x in (folder / "predictions.jsonl").read_text().splitlines()] == ["a", "b"]


def test_results_keep_rrbench_fields_that_only_look_secret(small_dataset, tmp_path):
    done = rrbench("eval", "--task", str(small_dataset), "--model", "random", "--limit", "3",
                   "--output-dir", str(tmp_path / "run"), "--no-progress")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["task"]["spec"]["subset_key"] == "subset" and MASK not in json.dumps(results)
