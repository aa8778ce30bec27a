"""How to cite rrbench itself (kept in step with the top-level CITATION.cff)."""

from __future__ import annotations

from roboreward_bench import __version__

RRBENCH_BIBTEX = f"""@software{{rrbench,
  title   = {{rrbench: a benchmark suite and leaderboard for vision-language reward models in robotics}},
  author  = {{{{rrbench contributors}}}},
  version = {{{__version__}}},
  year    = {{2026}},
  note    = {{Leaderboard numbers are re-scored from per-item predictions by rrbench}}
}}"""
