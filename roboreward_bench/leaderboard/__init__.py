"""Stage 8: the leaderboard.

Submission folders (``submissions/<task>/<org>__<model>/``) are the only input.
The validator re-scores every ``predictions.jsonl`` against the task's own
labels; the site and the citation tables show only numbers it computed, plus
``reported`` rows (copied from a paper, with a citation) kept visibly apart.
Nothing in a submission is ever imported, executed or unpickled: YAML goes
through ``yaml.safe_load`` and JSON through ``json``.
"""
