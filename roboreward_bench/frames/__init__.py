"""Stage 2: items → frames (PyAV decoding with a decode-once cache)."""
