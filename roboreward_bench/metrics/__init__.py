"""Stage 6: metrics, pure functions over arrays. They know nothing of models or files.

The suite entry point is :func:`score`; :func:`mean_win_rate` ranks models
across subsets and :func:`paired_bootstrap` compares two prediction sets on
the same items.
"""

from roboreward_bench.metrics.bootstrap import PairedComparison, paired_bootstrap
from roboreward_bench.metrics.suite import score
from roboreward_bench.metrics.winrate import mean_win_rate

__all__ = ["score", "mean_win_rate", "paired_bootstrap", "PairedComparison"]
