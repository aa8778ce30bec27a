"""One registry shape: lazy built-ins, entry points from real dist-info folders, did-you-mean errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from roboreward_bench.errors import ModelError, TaskError
from roboreward_bench.models.registry import MODELS, backend
from roboreward_bench.plugins import METRICS, PARSERS, PROMPTS, PROTOCOLS
from roboreward_bench.registry import Registry
from plugin_fixtures import install_plugin

PLUGIN = '''
from roboreward_bench.parsing import ParsedScore

def last_digit(text):
    """The last digit 1-5 in the text."""
    digits = [c for c in text if c in "12345"]
    return ParsedScore(float(digits[-1])) if digits else ParsedScore(None, "no digit")
'''


def test_built_ins_are_imported_only_when_asked_for():
    script = ("import sys; from roboreward_bench.plugins import PARSERS; from roboreward_bench.models.registry "
              "import MODELS; names = PARSERS.names() + MODELS.names(); "
              "print('roboreward_bench.parsing' in sys.modules, 'roboreward_bench.models.hf_backend' in sys.modules,"
              " 'hf' in names)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]


@pytest.mark.parametrize("registry,name,needle", [
    (PARSERS, "hlem", "unknown parser 'hlem'. Did you mean 'helm'"),
    (PROMPTS, "roboreward-v2", "unknown prompt 'roboreward-v2'. Did you mean 'roboreward-v1'"),
    (PROTOCOLS, "pointwsie", "unknown protocol 'pointwsie'. Did you mean 'pointwise'"),
    (METRICS, "qwk2", "unknown metric 'qwk2'. Did you mean 'qwk'"),
])
def test_unknown_names_get_did_you_mean(registry, name, needle):
    with pytest.raises(TaskError, match=needle):
        registry.get(name)


def test_models_share_the_shape_and_declare_caching():
    with pytest.raises(ModelError, match="unknown model 'radnom'. Did you mean 'random'"):
        backend("radnom")
    assert backend("random").cache is False and backend("text-only").cache is True
    assert "random" in MODELS and "radnom" not in MODELS


def test_registering_a_different_object_twice_is_refused():
    registry: Registry[int] = Registry("thing", None)
    registry.add("a", 1)
    registry.add("a", 1)  # the same object again is harmless (a module imported twice)
    with pytest.raises(ValueError, match="thing 'a' is registered twice"):
        registry.add("a", 2)


def test_entry_point_parser_is_found_and_named_in_task_specs(tmp_path):
    env = install_plugin(tmp_path, "digit_plugin", PLUGIN, {"rrbench.parsers": ["last-digit = digit_plugin:last_digit"]})
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nsource: {kind: local, path: data}\nparser: last-digit\n")
    script = ("import sys; from roboreward_bench.parsing import get_parser; "
              "from roboreward_bench.tasks.spec import load_task_spec; "
              "print(get_parser('last-digit')('3, no: 4').value, load_task_spec(sys.argv[1]).parser)")
    done = subprocess.run([sys.executable, "-c", script, str(spec)], capture_output=True, text=True,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4.0", "last-digit"]
    with pytest.raises(TaskError, match="unknown parser 'last-digit'"):
        from roboreward_bench.tasks.spec import load_task_spec
        load_task_spec(spec)
