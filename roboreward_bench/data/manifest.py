"""``SHA256SUMS`` manifests in ``sha256sum`` format: write them and check a folder against one."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

MANIFEST_FILE = "SHA256SUMS"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(root: Path, relative_paths: Iterable[str]) -> Path:
    """Write ``root/SHA256SUMS`` covering ``relative_paths`` (sorted, POSIX separators)."""
    lines = [f"{sha256_file(root / rel)}  {rel}\n" for rel in sorted(set(relative_paths))]
    path = root / MANIFEST_FILE
    path.write_text("".join(lines), encoding="utf-8")
    return path


def read_manifest(root: Path) -> dict[str, str]:
    """Relative path → expected hex digest; malformed lines are reported by line number."""
    from roboreward_bench.errors import DataError

    path = root / MANIFEST_FILE
    if not path.is_file():
        raise DataError(f"{root}: no {MANIFEST_FILE} manifest")
    expected: dict[str, str] = {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte offset {exc.start}); regenerate it with sha256sum") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not rel:
            raise DataError(f"{path}:{number}: not a sha256sum line ('<64 hex>  <path>')")
        expected[rel.lstrip("*")] = digest
    return expected


def check_manifest(root: Path, required: Iterable[str] = ()) -> list[str]:
    """Problems found, one line each naming the file: missing, changed, or not in the manifest."""
    expected = read_manifest(root)
    problems = []
    for rel, digest in sorted(expected.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: listed in {MANIFEST_FILE} but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: SHA-256 mismatch (the file differs from the one shipped)")
    for rel in sorted(set(required) - set(expected)):
        problems.append(f"{rel}: not covered by {MANIFEST_FILE}")
    return problems
