"""Stage 6: metrics, pure functions over arrays. They know nothing of models or files.

Every metric is declared once in the catalogue (:func:`register_metric`,
listed by :func:`catalogue`). The suite entry point is :func:`score`;
:func:`mean_win_rate` ranks models across subsets and
:func:`paired_bootstrap` compares two prediction sets on the same items.
They are loaded on first use, so importing the metric types does not pull in
scipy and scikit-learn.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {"score": "suite", "mean_win_rate": "winrate", "paired_bootstrap": "bootstrap",
            "PairedComparison": "bootstrap", "register_metric": "catalogue", "register_statistic": "catalogue",
            "register_group": "catalogue", "catalogue": "catalogue", "metric": "catalogue", "ratio": "catalogue"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"roboreward_bench.metrics.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'roboreward_bench.metrics' has no attribute {name!r}")
