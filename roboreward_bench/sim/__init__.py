"""rrb-sim: held-out Meta-World episodes with per-frame rubric labels from simulator state.

Needs the ``[sim]`` extra (Meta-World, MuJoCo). Modules, in pipeline order:

- ``catalog``, ``instructions``: the 50 tasks, families, tolerances, paraphrases;
- ``labels``: the rubric as pure functions of recorded states (``tasks/rrb_sim/RUBRIC.md``);
- ``render``, ``envs``, ``policies``, ``rollout``, ``video``: playing and recording episodes;
- ``items``, ``balance``, ``splits``: items from episodes, level balance, seeds per split;
- ``build``, ``worker``, ``manifest``, ``verify``, ``preview``: the ``rrbench data`` commands.

Only ``labels`` and ``catalog`` are needed to label states; nothing here is
imported by ``import roboreward_bench``.
"""
