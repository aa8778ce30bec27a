"""Where an ``hf:`` model's files come from: a local folder or a hub repo at a commit.

Resolving never loads weights, so a fully cached re-run can compute the
model's fingerprint without touching the GPU. A hub id resolves to its commit
SHA (recorded in results.json); a local folder gets a digest of its config,
tokenizer and weight files instead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from roboreward_bench.errors import ModelError

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_SAMPLE_BYTES = 1 << 20
# Files a transformers checkpoint needs; everything else in a hub repo is skipped.
HUB_FILE_PATTERNS = ("*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken", "*.py")


@dataclass(frozen=True)
class Checkpoint:
    """A resolved checkpoint.

    ``repo_id`` and ``commit`` are set for hub models; ``local_dir`` is set once
    the files are on disk (always, for local folders). ``digest`` identifies
    the weights: the commit SHA for the hub, a file digest for local folders.
    """

    spec: str
    digest: str
    repo_id: str | None = None
    commit: str | None = None
    local_dir: Path | None = None

    @property
    def source(self) -> str:
        return "hub" if self.repo_id else "local"


def resolve_checkpoint(argument: str | None, revision: str | None = None) -> Checkpoint:
    """Resolve ``hf:<argument>`` to a local folder or a hub repo at a commit SHA."""
    if not argument:
        raise ModelError("the hf backend needs a folder or hub id, e.g. --model hf:/path/to/dir "
                         "or --model hf:Qwen/Qwen2.5-VL-7B-Instruct")
    path = Path(argument).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"hf:{argument}: folder has no config.json; point at a transformers checkpoint folder")
        return Checkpoint(spec=argument, digest=folder_digest(path), local_dir=path.resolve())
    if not _HUB_ID.match(argument) or argument.startswith((".", "~")):
        raise ModelError(f"hf:{argument}: no such folder, and not a hub id of the form owner/name")
    return _resolve_hub(argument, revision)


def _resolve_hub(repo_id: str, revision: str | None) -> Checkpoint:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        commit = HfApi().model_info(repo_id, revision=revision).sha
    except RevisionNotFoundError:
        raise ModelError(f"hf:{repo_id}: revision {revision!r} does not exist on the hub") from None
    except RepositoryNotFoundError:
        raise ModelError(f"hf:{repo_id}: no such model on the hub (or it is gated and you are not logged in)") from None
    except Exception as exc:  # offline, DNS, proxy, timeout: fall back to the local HF cache
        cached = _cached_snapshot(repo_id, revision)
        if cached is None:
            raise ModelError(
                f"hf:{repo_id}: cannot reach the Hugging Face hub ({type(exc).__name__}) and the model is not in the "
                f"local cache; download it where the hub is reachable (hf download {repo_id} --local-dir DIR) "
                f"and run with --model hf:/path/to/dir") from None
        return Checkpoint(spec=repo_id, digest=cached.name, repo_id=repo_id, commit=cached.name, local_dir=cached)
    if not commit:
        raise ModelError(f"hf:{repo_id}: the hub returned no commit SHA for revision {revision or 'main'!r}")
    return Checkpoint(spec=repo_id, digest=commit, repo_id=repo_id, commit=commit)


def _cached_snapshot(repo_id: str, revision: str | None) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except Exception:
        return None
    return folder if (folder / "config.json").is_file() else None


def ensure_local(checkpoint: Checkpoint) -> Path:
    """The checkpoint's folder, downloading a hub snapshot at its pinned commit if needed."""
    if checkpoint.local_dir is not None:
        return checkpoint.local_dir
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(checkpoint.repo_id, revision=checkpoint.commit,
                                      allow_patterns=list(HUB_FILE_PATTERNS)))
    except Exception as exc:
        raise ModelError(f"hf:{checkpoint.repo_id}: download of commit {checkpoint.commit} failed "
                         f"({type(exc).__name__}); download it elsewhere and use --model hf:/path/to/dir") from None


def folder_digest(folder: Path) -> str:
    """SHA-256 over a checkpoint folder's small files and a sample of each weight file.

    Config, tokenizer and template files are hashed whole. Weight files are
    hashed by name, size and their first and last MiB (which hold the tensor
    header and data), so multi-GB checkpoints hash in milliseconds.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith(".") or "/." in relative or path.suffix == ".md":
            continue
        digest.update(b"\x00file:" + relative.encode())
        size = path.stat().st_size
        digest.update(str(size).encode())
        with path.open("rb") as handle:
            if not path.name.endswith(_WEIGHT_SUFFIXES) or size <= 2 * _SAMPLE_BYTES:
                digest.update(handle.read())
                continue
            digest.update(handle.read(_SAMPLE_BYTES))
            handle.seek(size - _SAMPLE_BYTES)
            digest.update(handle.read(_SAMPLE_BYTES))
    return digest.hexdigest()
