"""The ``rrbench`` command line."""
