"""Model aliases: the data file, user overrides, resolution through the registry, and `rrbench models`."""

from __future__ import annotations

import pytest

from cli_runner import rrbench
from roboreward_bench.errors import ModelError
from roboreward_bench.models.aliases import load_aliases
from roboreward_bench.models.registry import resolve_model_spec

EXPECTED = {
    "qwen2.5-vl-3b": "hf:Qwen/Qwen2.5-VL-3B-Instruct",
    "qwen2.5-vl-7b": "hf:Qwen/Qwen2.5-VL-7B-Instruct",
    "qwen2.5-vl-32b": "hf:Qwen/Qwen2.5-VL-32B-Instruct",
    "qwen2.5-vl-72b": "hf:Qwen/Qwen2.5-VL-72B-Instruct",
    "qwen3-vl-4b": "hf:Qwen/Qwen3-VL-4B-Instruct",
    "qwen3-vl-8b": "hf:Qwen/Qwen3-VL-8B-Instruct",
    "qwen3-vl-32b": "hf:Qwen/Qwen3-VL-32B-Instruct",
    "roboreward-4b": "hf:teetone/RoboReward-4B",
    "roboreward-8b": "hf:teetone/RoboReward-8B",
    "gpt-5": "openai:gpt-5",
    "gemini-2.5-pro": "openai:gemini-2.5-pro",
    "gemini-2.5-flash": "openai:gemini-2.5-flash",
}


def test_builtin_aliases_pin_the_expected_models():
    aliases = load_aliases()
    assert {name: alias.spec for name, alias in aliases.items() if name in EXPECTED} == EXPECTED
    for name in ("gpt-5", "gemini-2.5-pro", "gemini-2.5-flash"):
        args = aliases[name].model_args
        assert args["base_url"].startswith("https://") and args["api_key_env"].endswith("_API_KEY")
    assert aliases["gemini-2.5-flash"].model_args["base_url"].startswith("https://generativelanguage.googleapis.com")


def test_builtin_alias_args_are_valid_backend_settings():
    """Every alias's model_args must build the backend's settings (no typos in the data file)."""
    from roboreward_bench.models.hf_backend import HFSettings
    from roboreward_bench.models.model_args import settings_from_args
    from roboreward_bench.models.openai_backend import OpenAISettings

    for alias in load_aliases().values():
        settings_class = {"hf": HFSettings, "openai": OpenAISettings}[alias.backend]
        settings_from_args(settings_class, alias.model_args, alias.backend)


def test_alias_resolves_through_the_registry():
    spec, args = resolve_model_spec("qwen3-vl-8b")
    assert (spec.backend, spec.argument, spec.alias) == ("hf", "Qwen/Qwen3-VL-8B-Instruct", "qwen3-vl-8b")
    assert args["dtype"] == "bfloat16"


def test_user_file_adds_and_overrides(tmp_path, monkeypatch):
    user = tmp_path / "mine.yaml"
    user.write_text("my-vllm:\n  spec: openai:Qwen/Qwen2.5-VL-72B-Instruct\n"
                    "  model_args: {base_url: 'http://gpu-box:8000/v1', concurrency: 64}\n"
                    "gpt-5:\n  spec: openai:gpt-5-mini\n")
    monkeypatch.setenv("RRBENCH_ALIASES", str(user))
    aliases = load_aliases()
    assert aliases["my-vllm"].model_args["concurrency"] == 64
    assert aliases["gpt-5"].spec == "openai:gpt-5-mini"
    assert aliases["qwen3-vl-4b"].spec == EXPECTED["qwen3-vl-4b"]


@pytest.mark.parametrize("text, message", [
    ("a: [1, 2\n", "malformed YAML"),
    ("a:\n  spec: Qwen/Qwen2.5\n", "'spec' must be 'backend:argument'"),
    ("a:\n  spec: hf:x/y\n  modelargs: {}\n", "unknown key 'modelargs'. Did you mean 'model_args'?"),
    ("a:\n  spec: hf:x/y\n  model_args: [1]\n", "'model_args' must be a mapping"),
])
def test_malformed_alias_files_give_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ModelError) as info:
        load_aliases(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_rrbench_models_lists_backends_and_aliases():
    process = rrbench("models", env={"GEMINI_API_KEY": "secret-value-123", "OPENAI_API_KEY": ""})
    assert process.returncode == 0, process.stderr
    for name, spec in EXPECTED.items():
        line = next(line for line in process.stdout.splitlines() if line.startswith(name + " "))
        assert spec in line
    for backend in ("hf", "openai", "random", "constant", "majority"):
        assert any(line.startswith(backend + " ") for line in process.stdout.splitlines())
    assert "$GEMINI_API_KEY (set)" in process.stdout and "$OPENAI_API_KEY (not set)" in process.stdout
    assert "secret-value-123" not in process.stdout
