"""Turn ``--model-args`` mappings into typed, frozen settings dataclasses.

Backends declare their settings as a frozen dataclass with defaults; this
module checks names (with a did-you-mean), coerces simple types and reports
every problem as a one-line :class:`ModelError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping, TypeVar

from roboreward_bench.errors import ModelError, did_you_mean

T = TypeVar("T")


def settings_from_args(cls: type[T], args: Mapping[str, Any], backend: str) -> T:
    """Build ``cls`` from ``args``; unknown keys and wrong types raise ModelError."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in args.items():
        if key not in fields:
            raise ModelError(f"{backend}: unknown model arg {key!r}." + did_you_mean(key, sorted(fields))
                             + f" Known: {', '.join(sorted(fields))}")
        values[key] = _coerce(value, hints[key], f"{backend}: model arg {key!r}")
    return cls(**values)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    allowed = typing.get_args(hint) if is_union else (hint,)
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
        if type(None) in allowed:
            return None
        raise ModelError(f"{where} must not be empty")
    for kind in allowed:
        if kind is type(None):
            continue
        converted = _convert(value, kind)
        if converted is not _FAIL:
            return converted
    names = " or ".join(getattr(k, "__name__", str(k)) for k in allowed if k is not type(None))
    raise ModelError(f"{where} must be {names}, got {value!r}")


_FAIL = object()


def _convert(value: Any, kind: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        return _FAIL
    if kind is int:
        if isinstance(value, bool):
            return _FAIL
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        return _FAIL
    if kind is float:
        if isinstance(value, bool):
            return _FAIL
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return _FAIL
    if kind is str:
        # Command-line values are already text; a number from an alias YAML file is taken as written.
        return value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else _FAIL
    return value


def check_choice(value: str, allowed: tuple[str, ...], where: str) -> str:
    """Raise a one-line ModelError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ModelError(f"{where} must be one of {', '.join(allowed)}, got {value!r}."
                         + did_you_mean(value, list(allowed)))
    return value


def check_positive(value: float, where: str, allow_zero: bool = False) -> None:
    """Raise a one-line ModelError unless ``value`` is positive (or zero when allowed)."""
    if value < 0 or (value == 0 and not allow_zero):
        raise ModelError(f"{where} must be {'non-negative' if allow_zero else 'positive'}, got {value!r}")
