"""Subset names: map a dataset's folder names onto a task's canonical subset values.

RoboRewardBench's subsets are HELM's ``subset`` values, e.g.
``fractal20220817_data`` or ``berkeley_mvp_converted_externally_to_rlds``. A
copy of the dataset may name its folders by those long values or by shorter
ones (``fractal``, ``berkeley_mvp``). A folder name maps to the canonical value
whose *key* it shares: lowercased, with the Open X-Embodiment suffixes
(``_converted_externally_to_rlds``, ``_dataset``, ``20220817_data``, ``_data``)
and underscores removed. A task's ``subset_aliases`` adds explicit mappings; a
name that matches nothing is kept as it is (results.json lists it).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Mapping

from roboreward_bench.data.items import Item

_SUFFIXES = re.compile(r"(_converted_externally_to_rlds|_dataset|\d{8}_data|_data)$")


def subset_key(name: str) -> str:
    """The comparison key of a subset name: ``fractal20220817_data`` and ``Fractal`` both give ``fractal``."""
    key = name.strip().lower()
    while True:
        shorter = _SUFFIXES.sub("", key)
        if shorter == key:
            return key.replace("_", "").replace("-", "")
        key = shorter


def subset_mapping(names: Iterable[str], canonical: Iterable[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """Each of ``names`` → its canonical value (explicit aliases first, then by key; else itself)."""
    by_key = {subset_key(value): value for value in canonical}
    return {name: aliases.get(name) or by_key.get(subset_key(name), name) for name in names}


def canonical_subsets(items: tuple[Item, ...], canonical: Iterable[str],
                      aliases: Mapping[str, str]) -> tuple[tuple[Item, ...], list[str]]:
    """Items with canonical subset values, and the names that matched no canonical value."""
    canonical = list(canonical)
    mapping = subset_mapping({item.subset for item in items}, canonical, aliases)
    unmatched = sorted(name for name, value in mapping.items() if value not in canonical)
    renamed = tuple(item if mapping[item.subset] == item.subset else replace(item, subset=mapping[item.subset])
                    for item in items)
    return renamed, unmatched
