"""``rrbench data export`` and ``rrbench data push``: a task's items as a Hugging Face dataset."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import click

from roboreward_bench.errors import DataError, RRBenchError

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


def _export(task: str, data_dir: Path | None, out: Path, videos: str, overwrite: bool):
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise RRBenchError("export needs the datasets package: pip install 'rrbench[export]'") from None
    from roboreward_bench.data.export_hf import export_hf
    from roboreward_bench.data.loading import load_task

    return export_hf(load_task(task, data_dir), out, videos=videos, overwrite=overwrite)


def _echo_report(report) -> None:
    rows = ", ".join(f"{split}: {count} rows" for split, count in report.rows.items())
    click.echo(f"wrote {report.out} ({rows}) in {report.seconds:.1f} s")
    if report.json_columns:
        click.echo(f"columns stored as JSON text (mixed types): {', '.join(report.json_columns)}")


_TASK = click.argument("task")
_DATA_DIR = click.option("--data-dir", type=click.Path(path_type=Path),
                         help="Export the task's items from this folder, e.g. a regenerated train split.")
_VIDEOS = click.option("--videos", type=click.Choice(["path", "bytes"]), default="path", show_default=True,
                       help="Copy the MP4s into the export and store their paths, or store their bytes in each row.")


@click.command("export")
@_TASK
@click.option("--format", "format_", type=click.Choice(["hf"]), default="hf", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@_DATA_DIR
@_VIDEOS
@click.option("--overwrite", is_flag=True, help="Replace an earlier export in --out.")
def export_command(task: str, format_: str, out: Path, data_dir: Path | None, videos: str, overwrite: bool) -> None:
    """Write a task's items as a `datasets` dataset (save_to_disk) with a dataset card."""
    _echo_report(_export(task, data_dir, out, videos, overwrite))
    click.echo(f"load it with: datasets.load_from_disk({str(out)!r})")


@click.command("push")
@_TASK
@click.option("--repo", required=True, help="Dataset repo on the Hugging Face Hub, ORG/NAME.")
@_DATA_DIR
@_VIDEOS
@click.option("--out", type=click.Path(path_type=Path), help="Keep the export here (default: a temporary folder).")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@click.option("--dry-run", is_flag=True, help="Export and print the file list and the card; upload nothing.")
def push_command(task: str, repo: str, data_dir: Path | None, videos: str, out: Path | None, private: bool,
                 dry_run: bool) -> None:
    """Export a task (as `data export --format hf`) and upload it to a hub dataset repo (uses HF_TOKEN)."""
    if not _REPO_ID.match(repo):
        raise DataError(f"--repo {repo!r}: expected ORG/NAME")
    with tempfile.TemporaryDirectory(prefix="rrbench-export-") as tmp:
        report = _export(task, data_dir, out or Path(tmp) / "export", videos, overwrite=False)
        _echo_report(report)
        files = sorted(p for p in report.out.rglob("*") if p.is_file())
        if dry_run:
            _print_plan(repo, private, report.out, files)
            return
        _upload(repo, private, report.out, len(files))


def _print_plan(repo: str, private: bool, folder: Path, files: list[Path]) -> None:
    total = sum(p.stat().st_size for p in files)
    click.echo(f"dry run: would create dataset repo {repo} ({'private' if private else 'public'}) if needed and "
               f"upload {len(files)} files ({total / 1e6:.1f} MB):")
    for path in files:
        click.echo(f"  {path.relative_to(folder).as_posix()}  {path.stat().st_size} bytes")
    click.echo("\n--- README.md (dataset card) ---")
    click.echo((folder / "README.md").read_text(encoding="utf-8"))


def _upload(repo: str, private: bool, folder: Path, count: int) -> None:
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise RRBenchError("push needs huggingface_hub: pip install 'rrbench[hub]'") from None
    api = HfApi()
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=repo, repo_type="dataset", folder_path=str(folder),
                                   commit_message="rrbench data push")
    except Exception as exc:  # network, auth, permissions: one line, the token never printed
        from roboreward_bench.models.redaction import redact

        message = " ".join(redact(str(exc)).split())[:300]
        raise RRBenchError(f"cannot upload to dataset repo {repo}: {type(exc).__name__}: {message}; log in with "
                           f"'hf auth login' or set HF_TOKEN, or try --dry-run") from None
    click.echo(f"uploaded {count} files to https://huggingface.co/datasets/{repo} ({getattr(commit, 'oid', commit)})")
