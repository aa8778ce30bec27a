"""Dump the four LIBERO suites' tasks (language, goal atoms, objects) to JSON (runs in the LIBERO env).

``python -m roboreward_bench.libero.catalog_dump OUT.json`` parses the BDDL
files only (no simulator). Its output is shipped as ``libero/tasks.json`` so
the main package knows every task's goal without importing LIBERO.
"""

from __future__ import annotations

import json
import os
import sys

SUITES = ("libero_spatial", "libero_object", "libero_goal", "libero_10")


def dump() -> dict:
    from libero.libero import benchmark, get_libero_path
    from libero.libero.envs.bddl_utils import robosuite_parse_problem

    from roboreward_bench.libero.scene import goal_atoms

    tasks = {}
    for suite_name in SUITES:
        suite = benchmark.get_benchmark_dict()[suite_name]()
        for index in range(suite.n_tasks):
            task = suite.get_task(index)
            parsed = robosuite_parse_problem(os.path.join(get_libero_path("bddl_files"), task.problem_folder,
                                                          task.bddl_file))
            objects = sorted(o for names in parsed["objects"].values() for o in names)
            fixtures = sorted(o for names in parsed["fixtures"].values() for o in names)
            key = f"{suite_name.removeprefix('libero_')}-{index}"
            tasks[key] = {"suite": suite_name, "index": index, "name": task.name, "language": task.language,
                          "goal": [[p, a] for p, a in goal_atoms(parsed["goal_state"])],
                          "objects": objects, "fixtures": fixtures}
    return tasks


if __name__ == "__main__":
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump(dump(), handle, indent=1, sort_keys=True)
        handle.write("\n")
