"""Stage 1: datasets → items."""
