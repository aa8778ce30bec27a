"""Third-party models register through the ``rrbench.models`` entry-point group."""

from __future__ import annotations

import json

from cli_runner import assert_one_line_error, rrbench
from plugin_fixtures import install_plugin

PLUGIN = '''
from roboreward_bench.models.base import Response, fingerprint_of


class EchoFour:
    name = "echo-four"
    batch_size = 2

    def __init__(self, argument, model_args):
        self.argument, self.model_args = argument, dict(model_args)

    @property
    def fingerprint(self):
        return fingerprint_of({"name": self.name, "argument": self.argument})

    def describe(self):
        return {"argument": self.argument, "frames_seen": "yes"}

    def generate(self, requests):
        assert all(r.video is not None and r.video.frames.ndim == 4 for r in requests)
        return [Response(item_id=r.item_id, raw_text="Looks nearly done. ANSWER: 4") for r in requests]


def make_model(argument, model_args, context):
    return EchoFour(argument, model_args)
'''


def install_echo_plugin(root):
    return install_plugin(root, "echo_plugin", PLUGIN, {"rrbench.models": ["echofour = echo_plugin:make_model"]})


def test_entry_point_model_runs_and_is_listed(small_dataset, tmp_path):
    plugin_root = tmp_path / "site"
    plugin_root.mkdir()
    env = install_echo_plugin(plugin_root)
    process = rrbench("eval", "--task", str(small_dataset), "--model", "echofour:v2", "--output-dir",
                      str(tmp_path / "run"), "--no-progress", env=env)
    assert process.returncode == 0, process.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    details = results["model"]["details"]
    assert (details["argument"], details["frames_seen"]) == ("v2", "yes")
    assert details["cache"]["stored"] == 20  # third-party models get the response cache too
    rows = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert {row["parsed"] for row in rows} == {4.0} and len(rows) == 20
    assert "echofour" in rrbench("models", env=env).stdout
    assert_one_line_error(rrbench("eval", "--task", str(small_dataset), "--model", "echofuor"),
                          "unknown model 'echofuor'")
