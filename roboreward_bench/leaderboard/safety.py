"""Reading a submission folder without trusting it.

A submission is untrusted input from a pull request. This module is the only
place that touches its files, and it only ever reads bytes:

- only the allowed file names, each under its own size limit;
- no symlinks (files are opened with ``O_NOFOLLOW``), no subfolders, no
  FIFOs or devices, nothing resolving outside the submissions root;
- YAML through a safe loader that also refuses anchors/aliases (a tiny file
  can otherwise expand to gigabytes) and duplicate keys (which would hide
  one value from a reviewer); JSON through ``results.predictions.decode_json`` (no NaN/Infinity).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from roboreward_bench.results.predictions import PREDICTIONS_FILE
from roboreward_bench.results.schema import RESULTS_FILE

SUBMISSION_FILE = "submission.yaml"
# name -> size limit in bytes
ALLOWED_FILES: dict[str, int] = {
    SUBMISSION_FILE: 64 * 1024,
    PREDICTIONS_FILE: 64 * 1024 * 1024,
    RESULTS_FILE: 4 * 1024 * 1024,
}
FOLDER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}__[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class FolderContents:
    """The allowed files that could be read (name → bytes), and every problem met."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_location(folder: Path, root: Path) -> list[str]:
    """A submission must be ``root/<task>/<org>__<model>``, with no symlink on the way."""
    try:
        relative = folder.absolute().relative_to(root.absolute())
    except ValueError:
        return [f"{folder}: is outside the submissions folder {root}"]
    if ".." in relative.parts:
        return [f"{folder}: path must not contain '..'"]
    if len(relative.parts) != 2:
        return [f"{folder}: a submission folder must be {root}/<task>/<org>__<model>"]
    problems = []
    for depth in (1, 2):
        step = root / Path(*relative.parts[:depth])
        if step.is_symlink():
            problems.append(f"{step}: is a symlink; submission folders must be real folders")
    if not problems:
        try:
            folder.resolve(strict=True).relative_to(root.resolve(strict=True))
        except (ValueError, OSError):
            problems.append(f"{folder}: resolves outside the submissions folder {root}")
    if not FOLDER_PATTERN.match(relative.parts[1]):
        problems.append(f"{folder}: folder name must be <org>__<model> using letters, digits, '.', '_' or '-'")
    return problems


def read_folder(folder: Path) -> FolderContents:
    """Read every allowed file of ``folder``; anything else is a problem, never read."""
    contents = FolderContents()
    if folder.is_symlink() or not folder.is_dir():
        contents.problems.append(f"{folder}: not a folder")
        return contents
    with os.scandir(folder) as entries:
        names = sorted((entry.name, entry) for entry in entries)
    for name, entry in names:
        where = folder / name
        if entry.is_symlink():
            contents.problems.append(f"{where}: symlinks are not allowed in a submission")
        elif entry.is_dir(follow_symlinks=False):
            contents.problems.append(f"{where}: subfolders are not allowed in a submission")
        elif name not in ALLOWED_FILES:
            allowed = ", ".join(ALLOWED_FILES)
            contents.problems.append(f"{where}: file not allowed in a submission (allowed: {allowed})")
        else:
            data, problem = _read_regular_file(where, ALLOWED_FILES[name])
            if problem:
                contents.problems.append(problem)
            else:
                contents.files[name] = data
    return contents


def _read_regular_file(path: Path, limit: int) -> tuple[bytes, str | None]:
    """Read at most ``limit`` bytes of a regular file, refusing symlinks and special files."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return b"", f"{path}: cannot be opened ({exc.strerror})"
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return b"", f"{path}: not a regular file"
        if info.st_size > limit:
            return b"", f"{path}: {info.st_size:,} bytes is over the {limit:,}-byte limit for this file"
        with os.fdopen(os.dup(handle), "rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            return b"", f"{path}: over the {limit:,}-byte limit for this file"
        return data, None
    finally:
        os.close(handle)


def decode_text(data: bytes, where: Path | str) -> tuple[str | None, str | None]:
    """UTF-8 text, or a one-line problem naming the byte offset."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"{where}: not UTF-8 text (bad byte at offset {exc.start})"


class _SubmissionLoader(yaml.SafeLoader):
    """SafeLoader without dates (they stay strings) and with duplicate keys refused."""


_SubmissionLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line = key, line


def _mapping_without_duplicates(loader: _SubmissionLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (str, int, float, bool)) and key in seen:
            raise DuplicateKeyError(key, key_node.start_mark.line + 1)
        if isinstance(key, (str, int, float, bool)):
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


_SubmissionLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}


def load_yaml(text: str, where: Path | str) -> tuple[Any, str | None]:
    """Decode untrusted YAML: plain data only, no aliases, no duplicate keys, no tags."""
    try:
        for event in yaml.parse(text, Loader=_SubmissionLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                return None, f"{where}:{line}: YAML anchors and aliases are not allowed"
            tag = getattr(event, "tag", None)
            if tag is not None and tag not in _PLAIN_TAGS:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                return None, f"{where}:{line}: YAML tags such as {tag!r} are not allowed"
        return yaml.load(text, Loader=_SubmissionLoader), None
    except DuplicateKeyError as exc:
        return None, f"{where}:{exc.line}: duplicate key {exc.key!r}"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, f"{where}{line}: malformed YAML ({problem})"
    except RecursionError:
        return None, f"{where}: YAML nested too deeply"


