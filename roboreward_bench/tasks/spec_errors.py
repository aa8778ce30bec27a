"""Reading a YAML file safely, and turning pydantic's errors into one line naming the field.

``tasks/x.yaml: invalid_rule.abs_error: must be > 0 (got -1.5)`` rather than a
pydantic report; unknown keys get a did-you-mean from the fields the model
declares at that place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from roboreward_bench.errors import TaskError, did_you_mean

# pydantic error type → what the field must be (the ctx values fill the braces).
_MUST = {
    "missing": "is required",
    "int_type": "must be an integer", "int_parsing": "must be an integer",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string", "bool_type": "must be true or false",
    "tuple_type": "must be a list", "list_type": "must be a list",
    "dict_type": "must be a mapping", "model_type": "must be a mapping", "model_attributes_type": "must be a mapping",
    "greater_than": "must be > {gt}", "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}", "less_than_equal": "must be <= {le}",
    "string_too_short": "must not be empty", "string_too_long": "must be at most {max_length} characters",
    "too_short": "must not be empty", "literal_error": "must be {expected}",
    "path_type": "must be a path",
}


def explain_validation_error(exc: ValidationError, model: type[BaseModel]) -> str:
    """The first error of ``exc`` as ``field.sub: what is wrong (got value)``, plus how many more."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    if first["type"] == "extra_forbidden":
        where = _dotted(loc[:-1])
        key = str(loc[-1])
        known = sorted(yaml_keys(_model_at(model, loc[:-1])))
        prefix = f"{where}: " if where else ""
        hint = did_you_mean(key, known) or (f" Known keys: {', '.join(known)}" if known else "")
        return f"{prefix}unknown key {key!r}." + hint + more
    where = _dotted(loc)
    got = "" if first["type"] == "missing" else f" (got {_short(first.get('input'))})"
    if first["type"] in ("value_error", "assertion_error"):
        text = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        got = "" if "got " in text or isinstance(first.get("input"), dict) else got
    else:
        template = _MUST.get(first["type"])
        ctx = {k: _number(v) for k, v in first.get("ctx", {}).items()}
        text = template.format(**ctx) if template else first["msg"].replace("Input should", "must")
    if loc and loc[-1] == "[key]":  # a mapping's key, e.g. a label in reference.label_counts
        where, text = _dotted(loc[:-2]), f"key {loc[-2]!r} {text}"
    return f"{where}: {text}{got}{more}" if where else f"{text}{got}{more}"


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union")):
            text += ("." if text else "") + str(part)
    return text


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def yaml_keys(model: type[BaseModel] | None) -> set[str]:
    if model is None:
        return set()
    internal = set(getattr(model, "_INTERNAL_FIELDS", ()))
    return {info.alias or name for name, info in model.model_fields.items() if name not in internal}


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (None if it is not a model)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        fields = {info.alias or name: info for name, info in current.model_fields.items()}
        info = fields.get(str(part))
        current = _model_in(info.annotation) if info is not None else None
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):  # Optional[Model]
        found = _model_in(arg)
        if found is not None:
            return found
    return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (str, int, float, bool)) and key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen.add(key) if isinstance(key, (str, int, float, bool)) else None
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml_mapping(path: Path, what: str = "YAML file", error: type[Exception] = TaskError) -> dict[str, Any]:
    """Read a UTF-8 YAML file holding one mapping; every failure is one line naming the file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                    "save it as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: malformed YAML ({problem})") from None
    if not isinstance(raw, dict):
        raise error(f"{path}: a {what} must be a YAML mapping")
    return raw
