"""The model registry: names → factories, with helpful errors.

A model spec is ``name`` or ``name:argument`` (``constant:3``,
``hf:/path/to/checkpoint``, ``openai:gpt-5``), or an alias from
``aliases.yaml`` (``qwen2.5-vl-7b``) that expands to such a spec plus default
model arguments. Third-party packages register factories through the
entry-point group ``rrbench.models``; the entry point's name is the backend
name and its object a :data:`ModelFactory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from roboreward_bench.errors import ModelError, did_you_mean
from roboreward_bench.models.base import ModelContext, RewardModel
from roboreward_bench.registry import Registry

ModelFactory = Callable[[str | None, Mapping[str, Any], ModelContext], RewardModel]
ENTRY_POINT_GROUP = "rrbench.models"


@dataclass(frozen=True)
class Backend:
    """A registered backend: its factory, and whether the runner's response-cache stage applies.

    Baselines answer instantly and register with ``cache=False``; everything
    else, third-party backends included, is cached.
    """

    factory: ModelFactory
    cache: bool = True


def _backend_of(name: str, loaded: object) -> Backend:
    if isinstance(loaded, Backend):
        return loaded
    if not callable(loaded):
        raise ModelError(f"entry point {name!r} in group {ENTRY_POINT_GROUP!r} is not a model factory")
    return Backend(loaded)  # type: ignore[arg-type]


# Built-in backends live in modules that may need optional extras, so they are
# imported only when their name is asked for.
MODELS: Registry[Backend] = Registry("model", ENTRY_POINT_GROUP, builtins={
    "random": "roboreward_bench.models.baselines",
    "constant": "roboreward_bench.models.baselines",
    "majority": "roboreward_bench.models.baselines",
    "median": "roboreward_bench.models.baselines",
    "hf": "roboreward_bench.models.hf_backend",
    "openai": "roboreward_bench.models.openai_backend",
    "vllm": "roboreward_bench.models.managed_server",
    "sglang": "roboreward_bench.models.managed_server",
    "serve": "roboreward_bench.models.managed_server",
    "text-only": "roboreward_bench.models.shortcut",
    "video-only": "roboreward_bench.models.shortcut",
}, adapt=_backend_of, error=ModelError)


def register_model(name: str, description: str = "", cache: bool = True) -> Callable[[ModelFactory], ModelFactory]:
    """Decorator registering ``factory`` under backend ``name`` (``cache``: see :class:`Backend`)."""

    def decorate(factory: ModelFactory) -> ModelFactory:
        doc = (factory.__doc__ or "").strip()
        MODELS.add(name, Backend(factory, cache), description or (doc.splitlines()[0] if doc else ""))
        return factory

    return decorate


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``--model`` value: backend, optional argument, resolved alias."""

    backend: str
    argument: str | None
    alias: str | None = None

    def __str__(self) -> str:
        return self.backend if self.argument is None else f"{self.backend}:{self.argument}"


def parse_model_args(text: str | None) -> dict[str, str]:
    """Parse ``k=v,k=v`` into a dict of strings.

    Values stay text: each backend's typed settings convert them
    (``model_args.settings_from_args``), so ``revision=0123456`` stays a string
    and ``1e5`` is read as a float only where a float is wanted.
    """
    args: dict[str, str] = {}
    if not text:
        return args
    for pair in text.split(","):
        if not pair.strip():
            continue
        if "=" not in pair:
            raise ModelError(f"--model-args: {pair!r} is not key=value")
        key, value = pair.split("=", 1)
        args[key.strip()] = value.strip()
    return args


def available_backends() -> list[str]:
    """Names of every backend: built-in, registered and from entry points."""
    return MODELS.names()


def backend(name: str) -> Backend:
    """The registered backend ``name``; an unknown name is an error with a did-you-mean over aliases too."""
    if name not in MODELS:
        raise ModelError(f"unknown model {name!r}." + did_you_mean(name, available_backends() + _alias_names())
                         + " Run 'rrbench models' for the list.")
    return MODELS.get(name)


def _alias_names() -> list[str]:
    try:
        from roboreward_bench.models.aliases import load_aliases
    except ImportError:
        return []
    return sorted(load_aliases())


def resolve_model_spec(text: str) -> tuple[ModelSpec, dict[str, Any]]:
    """Turn a ``--model`` value into a spec plus the alias's default model args."""
    try:
        from roboreward_bench.models.aliases import load_aliases
        aliases = load_aliases()
    except ImportError:
        aliases = {}
    if text in aliases:
        alias = aliases[text]
        name, _, argument = alias.spec.partition(":")
        return ModelSpec(name, argument or None, alias=text), dict(alias.model_args)
    name, sep, argument = text.partition(":")
    backend(name)  # an unknown name raises the did-you-mean error
    return ModelSpec(name, argument if sep else None), {}


def build_model(text: str, model_args: Mapping[str, Any], context: ModelContext) -> tuple[ModelSpec, RewardModel]:
    """Resolve ``text`` and build the model; ``model_args`` override alias defaults."""
    spec, defaults = resolve_model_spec(text)
    merged = {**defaults, **model_args}
    try:
        return spec, backend(spec.backend).factory(spec.argument, merged, context)
    except ModelError:
        raise
    except ImportError as exc:
        raise ModelError(f"model {text!r} needs an optional extra that is not installed ({exc.name or exc}); "
                         f"install it with: pip install 'rrbench[{_extra_for(spec.backend)}]'") from exc


def _extra_for(backend: str) -> str:
    return {"hf": "hf", "openai": "api", "vllm": "api", "sglang": "api", "serve": "api"}.get(backend, "dev")


def backend_descriptions() -> dict[str, str]:
    """One-line description per importable backend (for ``rrbench models``)."""
    out = {}
    for name in available_backends():
        try:
            out[name] = MODELS.description(name)
        except (ModelError, ImportError):
            out[name] = "(optional extra not installed)"
    return out
