"""One registry shape for everything pluggable: models, prompts, parsers, protocols, metrics.

A :class:`Registry` maps names to objects. Built-in entries live in modules
that are imported only when a name is first asked for (they may need optional
extras); third-party packages add entries through an entry-point group, whose
entry names are the registered names. An unknown name is a one-line error with
a did-you-mean.
"""

from __future__ import annotations

from importlib import import_module, metadata
from typing import Callable, Generic, Iterator, Mapping, Sequence, TypeVar

from roboreward_bench.errors import RRBenchError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Names → objects of one kind (``kind`` names it in errors, e.g. "parser").

    ``builtins`` maps a name to the module that registers it when imported;
    ``modules`` are imported before the first lookup (for kinds whose
    built-in names are declared in their modules, like metrics). An entry
    point's object is registered as ``adapt(name, object)`` unless loading it
    registered ``name`` already; ``adapt`` may raise ``error`` to refuse it.
    ``error`` is the :class:`RRBenchError` subclass raised for unknown names,
    and ``hint`` ends that message (e.g. "Run 'rrbench models' for the list.").
    """

    def __init__(self, kind: str, entry_point_group: str | None, builtins: Mapping[str, str] = {},
                 modules: Sequence[str] = (), adapt: Callable[[str, object], T] | None = None,
                 error: type[RRBenchError] = RRBenchError, hint: str = "") -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self.error = error
        self.hint = hint
        self._builtins = dict(builtins)
        self._modules = tuple(modules)
        self._adapt = adapt
        self._entries: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}
        self._entry_point_map: dict[str, metadata.EntryPoint] | None = None

    def add(self, name: str, entry: T, description: str = "") -> T:
        """Register ``entry`` (described in one line) under ``name``; registering another object twice is a bug."""
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        self._descriptions[name] = description
        return entry

    def register(self, name: str, description: str = "") -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""
        return lambda entry: self.add(name, entry, description)

    def _import_modules(self) -> None:
        while self._modules:
            module, self._modules = self._modules[0], self._modules[1:]
            import_module(module)

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        """The group's entry points, read once per process (installed packages do not change under it)."""
        self._import_modules()
        if self._entry_point_map is None:
            found = metadata.entry_points(group=self.entry_point_group) if self.entry_point_group else ()
            self._entry_point_map = {ep.name: ep for ep in found}
        return self._entry_point_map

    def names(self) -> list[str]:
        """Every name: registered, built-in and from entry points (no entry point is loaded)."""
        self._import_modules()
        return sorted(set(self._entries) | set(self._builtins) | set(self._entry_points()))

    def get(self, name: str) -> T:
        """The entry for ``name``, importing its module or entry point on first use."""
        self._import_modules()
        if name in self._entries:
            return self._entries[name]
        if name in self._builtins:
            import_module(self._builtins[name])
            return self._entries[name]
        entry_point = self._entry_points().get(name)
        if entry_point is not None:
            try:
                loaded = entry_point.load()
            except Exception as exc:  # a broken third-party package: name it, in one line
                raise self.error(f"{self.kind} {name!r} from entry point {entry_point.value!r} "
                                 f"failed to load: {type(exc).__name__}: {exc}") from exc
            if name not in self._entries:  # the module may have registered it while importing
                doc = (getattr(loaded, "__doc__", None) or "").strip()
                self.add(name, loaded if self._adapt is None else self._adapt(name, loaded),
                         doc.splitlines()[0] if doc else "")
            return self._entries[name]
        raise self.error(f"unknown {self.kind} {name!r}." + did_you_mean(name, self.names())
                         + (f" {self.hint}" if self.hint else f" Known: {', '.join(self.names())}"))

    def __contains__(self, name: str) -> bool:
        self._import_modules()
        return name in self._entries or name in self._builtins or name in self._entry_points()

    def load_all(self) -> dict[str, T]:
        """Every entry, loaded, in name order."""
        return {name: self.get(name) for name in self.names()}

    def remove(self, name: str) -> None:
        """Forget a registered entry (tests and benchmarks register temporary ones)."""
        self._entries.pop(name, None)
        self._descriptions.pop(name, None)

    def is_registered(self, name: str) -> bool:
        """Whether ``name`` is registered already (imports nothing; for use while registering)."""
        return name in self._entries

    def registered(self) -> dict[str, T]:
        """The entries registered so far, in registration order (built-in modules imported first)."""
        self._import_modules()
        return dict(self._entries)

    def description(self, name: str) -> str:
        """The one-line description of a loaded entry."""
        self.get(name)
        return self._descriptions.get(name, "")

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
