"""Human review of benchmark items (``rrbench review``).

- :mod:`~roboreward_bench.data.content_hash`: the content hash that ties a decision to what was reviewed;
- :mod:`~roboreward_bench.data.reviews`: ``reviews.jsonl`` (durable appends) and which items are accepted;
- :mod:`~roboreward_bench.review.stats`: counts per subset, agreement with the proposed labels, Cohen's κ;
- :mod:`~roboreward_bench.review.export`: a new dataset folder with the decisions applied;
- :mod:`~roboreward_bench.review.session` and :mod:`~roboreward_bench.review.server`: the review page.

The first two live in the data stage, which needs them for ``require_verified`` tasks; this package
is imported only by ``rrbench review``.
"""
