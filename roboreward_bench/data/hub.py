"""Hub datasets: find a downloaded snapshot, or pull one.

A task with ``source: {kind: hf, repo, revision, split}`` reads the split's
folder from the normal Hugging Face cache (``$HF_HOME``), through the same
``snapshot_download`` call that fetched it, with ``local_files_only=True``. No
model ever loads before the data is known to be there.
"""

from __future__ import annotations

from pathlib import Path

from roboreward_bench.data.local import METADATA_FILE
from roboreward_bench.errors import DataError
from roboreward_bench.tasks.spec import SourceSpec


def _fix_hint(source: SourceSpec, task_name: str) -> str:
    return (f"fix: run 'rrbench data pull {task_name}' (needs network; set HF_TOKEN if the dataset is gated), "
            f"or pass --data-dir D where D holds a copy of {source.split}/{METADATA_FILE} and its videos")


def split_folder(root: Path, split: str) -> Path | None:
    """``root`` itself if it holds metadata.jsonl, else ``root/<split>`` if that does."""
    if (root / METADATA_FILE).is_file():
        return root
    if (root / split / METADATA_FILE).is_file():
        return root / split
    return None


def locate_snapshot(source: SourceSpec, task_name: str = "the task") -> tuple[Path, str]:
    """The local folder of ``source``'s split and the snapshot's commit SHA, or a one-line DataError."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise DataError(f"{source.repo}: reading hub datasets needs huggingface_hub "
                        f"(pip install 'rrbench[hub]'), or pass --data-dir D") from None
    try:
        snapshot = Path(snapshot_download(repo_id=source.repo, repo_type="dataset", revision=source.revision,
                                          allow_patterns=[f"{source.split}/*"], local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        raise DataError(f"{source.repo}@{source.revision} ({source.split} split) is not downloaded; "
                        + _fix_hint(source, task_name)) from None
    folder = split_folder(snapshot, source.split)
    if folder is None:
        raise DataError(f"{snapshot}: snapshot has no {source.split}/{METADATA_FILE}; " + _fix_hint(source, task_name))
    return folder, snapshot.name


def pull_snapshot(source: SourceSpec, revision: str | None = None, local_dir: Path | None = None) -> tuple[Path, str]:
    """Download only the split's files; return the split folder and the resolved commit SHA."""
    try:
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled
    except ImportError:
        raise DataError("rrbench data pull needs huggingface_hub: pip install 'rrbench[hub]'") from None
    wanted = revision or source.revision
    try:
        sha = HfApi().dataset_info(source.repo, revision=wanted).sha
        path = snapshot_download(repo_id=source.repo, repo_type="dataset", revision=sha,
                                 allow_patterns=[f"{source.split}/*"], local_dir=local_dir)
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:
        raise DataError(f"{source.repo}: cannot download while offline ({type(exc).__name__}); "
                        "unset HF_HUB_OFFLINE and check the network") from None
    except HfHubHTTPError as exc:
        raise DataError(f"{source.repo}@{wanted}: the hub refused the download ({str(exc).splitlines()[0]}); "
                        "set HF_TOKEN if the dataset is gated") from None
    except OSError as exc:
        raise DataError(f"{source.repo}@{wanted}: download failed ({type(exc).__name__}: {exc})") from None
    folder = split_folder(Path(path), source.split)
    if folder is None:
        raise DataError(f"{path}: the download has no {source.split}/{METADATA_FILE}")
    return folder, sha or wanted or ""
