"""Stage 7: results files (``predictions.jsonl`` and ``results.json``)."""
