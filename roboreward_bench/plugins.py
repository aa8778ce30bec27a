"""Every registry of pluggable parts except models, in one neutral module.

Any stage may name a part (a task spec names its prompt, parser, protocol,
metric groups and headline metric) without importing the stage that
implements it: each registry imports its built-in modules, or a third-party
package's entry point, only when a name is looked up. Models have their own
registry (:mod:`roboreward_bench.models.registry`), of the same shape.
"""

from __future__ import annotations

from roboreward_bench.errors import TaskError
from roboreward_bench.registry import Registry

# The metric families, in the order the catalogue lists them (see metrics/catalogue.py).
METRIC_MODULES = tuple(f"roboreward_bench.metrics.{name}" for name in
                       ("regression", "ordinal", "pairwise", "success", "voc", "best_of_n", "validity",
                        "progress", "preference"))
METRICS_ENTRY_POINT_GROUP = "rrbench.metrics"


def _registered_by_import(name: str, loaded: object) -> object:
    raise TaskError(f"entry point {name!r} in group {METRICS_ENTRY_POINT_GROUP!r} registers no metric named "
                    f"{name!r} (decorate its function with register_metric)")


PROMPTS: Registry[str] = Registry("prompt", "rrbench.prompts",
                                  builtins={name: "roboreward_bench.prompts"
                                            for name in ("roboreward-v1", "helm-progress-v1", "helm-preference-v1")},
                                  error=TaskError)
PARSERS: Registry = Registry("parser", "rrbench.parsers", builtins={"helm": "roboreward_bench.parsing",
                                                                    "helm-preference": "roboreward_bench.parsing"},
                             error=TaskError)
PROTOCOLS: Registry[str] = Registry("protocol", "rrbench.protocols",
                                    builtins={"pointwise": "roboreward_bench.metrics.catalogue",
                                              "progress": "roboreward_bench.metrics.progress",
                                              "preference": "roboreward_bench.metrics.preference"}, error=TaskError)
METRICS: Registry = Registry("metric", METRICS_ENTRY_POINT_GROUP, modules=METRIC_MODULES,
                             adapt=_registered_by_import, error=TaskError,
                             hint="Run 'rrbench metrics' for the catalogue.")
# Statistics and groups come with the metrics that use them (a plugin's module registers all three).
STATISTICS: Registry = Registry("metric statistic", None, modules=METRIC_MODULES, error=TaskError)
GROUPS: Registry = Registry("metric group", None, modules=METRIC_MODULES, error=TaskError)

ALWAYS_GROUP = "validity"  # invalid and error rates: every task reports them
POINTWISE = "pointwise"  # the protocol of a 1–5 score per item (tasks without a ``protocol`` key)


def metric_group_names(builtin_only: bool = False) -> list[str]:
    """The metric groups a task may list (all, loading plugins) or gets by default (the built-in ones)."""
    if not builtin_only:
        METRICS.load_all()
    # Built-in defaults are the 1–5 (pointwise) groups: progress/preference metrics are their protocols' own.
    builtin = {m.group for m in METRICS.registered().values()
               if m.function.__module__ in METRIC_MODULES and m.protocol == POINTWISE}
    return [name for name in GROUPS.registered() if name != ALWAYS_GROUP and (not builtin_only or name in builtin)]
