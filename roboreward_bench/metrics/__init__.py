"""Stage 6: metrics, pure functions over arrays. They know nothing of models or files."""
