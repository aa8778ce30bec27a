"""Model aliases: short names that expand to a backend spec plus default model args.

The built-in aliases live in ``aliases.yaml`` next to this module. A user file
of the same shape, named by ``$RRBENCH_ALIASES``, adds aliases or overrides
built-in ones. Every problem in either file is a one-line :class:`ModelError`
naming the file and the alias.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from roboreward_bench.errors import ModelError, did_you_mean

BUILTIN_ALIASES = Path(__file__).with_name("aliases.yaml")
USER_ALIASES_ENV = "RRBENCH_ALIASES"
_KEYS = ("spec", "description", "model_args")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ModelAlias:
    """One alias: ``spec`` is ``backend:argument``; ``model_args`` are defaults the CLI may override."""

    name: str
    spec: str
    description: str = ""
    model_args: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def backend(self) -> str:
        return self.spec.partition(":")[0]

    @property
    def argument(self) -> str | None:
        return self.spec.partition(":")[2] or None


def load_aliases(path: Path | str | None = None) -> dict[str, ModelAlias]:
    """Aliases from ``path`` (default: the built-in file, then ``$RRBENCH_ALIASES`` on top)."""
    if path is not None:
        return _load_file(Path(path))
    aliases = _load_file(BUILTIN_ALIASES)
    user = os.environ.get(USER_ALIASES_ENV)
    if user:
        aliases.update(_load_file(Path(user).expanduser()))
    return aliases


def _load_file(path: Path) -> dict[str, ModelAlias]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such aliases file") from None
    except UnicodeDecodeError:
        raise ModelError(f"{path}: not UTF-8 text; save the aliases file as UTF-8") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a folder, not an aliases file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ModelError(f"{where}: malformed YAML ({getattr(exc, 'problem', None) or 'parse error'})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ModelError(f"{path}: an aliases file must be a mapping of alias name to settings")
    return {str(name): _parse_alias(str(name), entry, path) for name, entry in raw.items()}


def _parse_alias(name: str, entry: Any, path: Path) -> ModelAlias:
    where = f"{path}: alias {name!r}"
    if not isinstance(entry, dict):
        raise ModelError(f"{where} must be a mapping with 'spec' and optional 'model_args'")
    unknown = sorted(set(entry) - set(_KEYS))
    if unknown:
        raise ModelError(f"{where}: unknown key {unknown[0]!r}." + did_you_mean(unknown[0], list(_KEYS)))
    spec = entry.get("spec")
    if not isinstance(spec, str) or ":" not in spec or not spec.partition(":")[0]:
        raise ModelError(f"{where}: 'spec' must be 'backend:argument', e.g. hf:Qwen/Qwen2.5-VL-7B-Instruct")
    if spec.partition(":")[0] == name or ":" in name:
        raise ModelError(f"{where}: an alias name must not be a backend spec")
    model_args = entry.get("model_args") or {}
    if not isinstance(model_args, dict) or not all(isinstance(k, str) for k in model_args):
        raise ModelError(f"{where}: 'model_args' must be a mapping of names to values")
    return ModelAlias(name=name, spec=spec, description=str(entry.get("description") or ""),
                      model_args=dict(model_args), source=str(path))
