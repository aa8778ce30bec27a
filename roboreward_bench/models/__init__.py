"""Stage 4: reward models. Backends register in :mod:`roboreward_bench.models.registry`."""
