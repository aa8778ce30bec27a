"""How to cite rrbench itself, kept in step with the top-level CITATION.cff (a test compares them)."""

from __future__ import annotations

from roboreward_bench import __version__

RRBENCH_KEY = "rrbench"
# The intended public home; no remote is configured in this repository yet, so maintainers must confirm it
# (and CITATION.cff, which a test keeps equal) before the first release.
RRBENCH_URL = "https://github.com/rrbench/rrbench"
RELEASE_DATE = "2026-11-29"  # date-released of this version in CITATION.cff
RRBENCH_BIBTEX = f"""@misc{{{RRBENCH_KEY},
  title        = {{rrbench: a benchmark suite and leaderboard for vision-language reward models in robotics}},
  author       = {{{{rrbench contributors}}}},
  year         = {{{RELEASE_DATE[:4]}}},
  version      = {{{__version__}}},
  howpublished = {{\\url{{{RRBENCH_URL}}}}},
  url          = {{{RRBENCH_URL}}},
  note         = {{Software, version {__version__}, released {RELEASE_DATE}. Leaderboard numbers are re-scored
                  from per-item predictions; cite the leaderboard snapshot (commit and date) printed with a table}}
}}"""
