"""The dataset card (``README.md``) of an exported task: what the data is, its labels, rubric, license, citation.

The YAML header carries the hub's metadata (license, tags, size) and a
``configs`` entry pointing each split at its Arrow files, so
``load_dataset("ORG/NAME")`` finds them after ``rrbench data push``.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from roboreward_bench.data.loading import LoadedTask
from roboreward_bench.data.stats import stats_tables, summary_line

CARD_FILE = "README.md"
RUBRIC_FILE = "RUBRIC.md"
LICENSE = "apache-2.0"  # rrb-sim ships inside rrbench, under the repository's license

_COLUMN_MEANINGS = {
    "item_id": "unique id of the item",
    "video_path": "the MP4, a path relative to the dataset folder",
    "video_bytes": "the MP4 file's bytes",
    "instruction": "the instruction the reward model judges against",
    "label": "gold 1–5 rubric label of the clip's final state",
    "frame_labels": "1–5 label of every frame 0..clip_end under this instruction (null where unknown)",
    "clip_end": "last frame index shown, inclusive (null: the whole video)",
    "kind": "full episode, temporal clip, or counterfactual instruction",
    "subset": "macro-averaging subset",
    "split": "split name",
    "episode_id": "items showing the same recorded video share it",
    "group_id": "episodes sharing task and initial state (best-of-N selection)",
    "file_name": "the video's path in the original dataset folder",
}


def find_rubric(loaded: LoadedTask) -> Path | None:
    """A ``RUBRIC.md`` beside the data or beside the task's own data folder, if there is one."""
    places = [loaded.data_root, loaded.data_root.parent]
    if loaded.spec.source.path is not None:
        places += [loaded.spec.source.path, loaded.spec.source.path.parent]
    return next((place / RUBRIC_FILE for place in places if (place / RUBRIC_FILE).is_file()), None)


def copy_rubric(loaded: LoadedTask, out: Path) -> Path | None:
    """Copy the rubric next to the card; returns the copy."""
    rubric = find_rubric(loaded)
    if rubric is None:
        return None
    shutil.copyfile(rubric, out / RUBRIC_FILE)
    return out / RUBRIC_FILE


def rubric_summary(rubric: Path | None, prompt: str) -> str:
    """The rubric's first Markdown table (its level definitions), or a pointer to the prompt's rubric."""
    if rubric is None:
        return f"Labels follow the RoboReward 1–5 rubric of prompt `{prompt}`."
    lines, table = rubric.read_text(encoding="utf-8").splitlines(), []
    for line in lines:
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    summary = "\n".join(table) if table else ""
    return (summary + "\n\n" if summary else "") + f"The full rules are in [`{RUBRIC_FILE}`]({RUBRIC_FILE})."


def citation() -> str:
    """BibTeX for rrbench and the works its CITATION.cff names."""
    cff = Path(__file__).resolve().parents[2] / "CITATION.cff"
    entries = []
    if cff.is_file():
        import yaml

        data = yaml.safe_load(cff.read_text(encoding="utf-8")) or {}
        entries.append(_bibtex("software", "rrbench", data))
        for i, ref in enumerate(data.get("references") or []):
            entries.append(_bibtex("article" if ref.get("type") == "article" else "misc", f"ref{i + 1}", ref))
    return "\n\n".join(entries) if entries else "See the rrbench repository's CITATION.cff."


def _bibtex(kind: str, key: str, data: dict) -> str:
    authors = " and ".join(a.get("name") or f"{a.get('family-names', '')}, {a.get('given-names', '')}".strip(", ")
                           for a in data.get("authors") or [])
    fields = {"title": data.get("title"), "author": authors, "year": data.get("year"),
              "version": data.get("version") if kind == "software" else None, "url": data.get("url")}
    if kind != "software" and authors:
        key = re.sub(r"\W", "", (data["authors"][0].get("family-names") or key)).lower() + str(data.get("year", ""))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@{kind}{{{key},\n{body}\n}}"


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return name
    return "100K<n<1M"


def card_text(loaded: LoadedTask, rows: dict[str, int], video_column: str, json_columns: tuple[str, ...],
              rubric: Path | None, columns: list[str]) -> str:
    """The whole card as Markdown with a YAML header."""
    from roboreward_bench import __version__

    spec = loaded.spec
    configs = "\n".join(f"  - split: {split}\n    path: {split}/*.arrow" for split in rows)
    header = (f"---\npretty_name: {spec.name}\nlicense: {LICENSE}\ntags:\n  - robotics\n  - reward-modeling\n"
              f"  - video\n  - rrbench\nsize_categories:\n  - {_size_category(sum(rows.values()))}\n"
              f"configs:\n- config_name: default\n  data_files:\n{configs}\n---\n")
    loading = (f"```python\nfrom datasets import load_from_disk\nds = load_from_disk(\"THIS_FOLDER\")"
               f"[\"{next(iter(rows))}\"]\n# once pushed: load_dataset(\"ORG/NAME\", split=\"{next(iter(rows))}\")\n```")
    column_rows = "\n".join(f"| `{name}` | {_COLUMN_MEANINGS.get(name, 'from metadata.jsonl (generator facts)')}"
                            f"{' (JSON text)' if name in json_columns else ''} |" for name in columns)
    stats = "\n\n".join(stats_tables(loaded))
    exported = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return f"""{header}
# {spec.name}: {', '.join(f'{split} ({count} items)' for split, count in rows.items())}

{spec.description.strip() or spec.name}

Exported by rrbench {__version__} on {exported} from task `{spec.name}` version {spec.version}
(task fingerprint `{loaded.fingerprint}`). Evaluate a reward model on it with
`rrbench eval --task {spec.name}`; this export is for training and analysis outside rrbench.

## Loading

{loading}

The video of each row is in `{video_column}`{' (copied under `videos/`)' if video_column == 'video_path' else ''}.

## Columns

| column | meaning |
|---|---|
{column_rows}

## Labels

{summary_line(loaded)}

{stats}

## Rubric

{rubric_summary(rubric, spec.prompt)}

## License

{LICENSE} (the license of the rrbench repository this data ships with).

## Citation

```bibtex
{citation()}
```
"""


def write_card(loaded: LoadedTask, out: Path, rows: dict[str, int], video_column: str,
               json_columns: tuple[str, ...], rubric: Path | None) -> Path:
    """Write ``out/README.md``; returns its path."""
    import datasets

    first = next(iter(rows))
    columns = list(datasets.load_from_disk(str(out / first)).column_names)
    path = out / CARD_FILE
    path.write_text(card_text(loaded, rows, video_column, json_columns, rubric, columns), encoding="utf-8")
    return path
