"""--model-args stay text until a backend's typed settings read them; unknown names are refused everywhere."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cli_runner import assert_one_line_error, rrbench
from roboreward_bench.errors import ModelError
from roboreward_bench.models.model_args import settings_from_args
from roboreward_bench.models.registry import build_model, parse_model_args
from roboreward_bench.models.base import ModelContext


@dataclass(frozen=True)
class Settings:
    revision: str | None = None
    max_pixels: float = 0.0
    retries: int = 2
    stream: bool = False


@pytest.mark.parametrize("text,expected", [
    ("revision=0123456", Settings(revision="0123456")),
    ("revision=1e5", Settings(revision="1e5")),
    ("max_pixels=1e5", Settings(max_pixels=100000.0)),
    ("retries=007,stream=true", Settings(retries=7, stream=True)),
    ("revision=3.10", Settings(revision="3.10")),
])
def test_values_reach_the_settings_as_written(text, expected):
    args = parse_model_args(text)
    assert all(isinstance(v, str) for v in args.values())
    assert settings_from_args(Settings, args, "demo") == expected


@pytest.mark.parametrize("text,needle", [
    ("retries=2.5", "'retries' must be int"),
    ("stream=maybe", "'stream' must be bool"),
    ("revison=abc", "unknown model arg 'revison'. Did you mean 'revision'"),
])
def test_bad_values_are_one_line_errors(text, needle):
    with pytest.raises(ModelError, match=needle):
        settings_from_args(Settings, parse_model_args(text), "demo")


@pytest.mark.parametrize("model,args,needle", [
    ("random", "sed=3", "random: unknown model arg 'sed'. Did you mean 'seed'"),
    ("random", "seed=x", "model arg 'seed' must be int"),
    ("constant:3", "label=4", "constant: unknown model arg 'label'"),
    ("text-only", "sede=1", "text-only: unknown model arg 'sede'"),
])
def test_every_built_in_backend_refuses_unknown_args(model, args, needle):
    context = ModelContext(seed=0)
    with pytest.raises(ModelError, match=needle):
        build_model(model, parse_model_args(args), context)


def test_cli_reports_an_unknown_arg_in_one_line(small_dataset, tmp_path):
    assert_one_line_error(rrbench("eval", "--task", str(small_dataset), "--model", "random", "--model-args",
                                  "sed=3", "--output-dir", str(tmp_path / "x")), "Did you mean 'seed'")
