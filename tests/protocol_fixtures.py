"""Dataset folders for the progress and preference protocols, with real MP4s (PyAV)."""

from __future__ import annotations

import json
from pathlib import Path

from video_fixtures import write_mp4

CAMERAS = ("Left", "Wrist")


def write_rows(root: Path, rows: list[dict], skip_videos: tuple[str, ...] = ()) -> Path:
    """``metadata.jsonl`` plus an MP4 for every video any row names (except ``skip_videos``)."""
    root.mkdir(parents=True, exist_ok=True)
    names = set()
    for row in rows:
        for column in ("videos", "videos_a", "videos_b"):
            names.update(row.get(column, {}).values())
    for index, name in enumerate(sorted(names - set(skip_videos))):
        write_mp4(root / name, num_frames=20 + index % 5)
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def progress_rows(episodes: int = 3, clips: int = 3) -> list[dict]:
    """Clips of a few episodes, two cameras each, gold rising over each episode."""
    rows = []
    for e in range(episodes):
        for c in range(clips):
            rows.append({"item_id": f"ep{e}-c{c}", "task": f"stack block {e}", "episode_id": f"ep{e}",
                         "progress": round(100 * (c + 1) / clips * (1 - 0.2 * e), 1), "clip_index": c,
                         "subset": "lab" if e % 2 else "sim",
                         "videos": {cam: f"ep{e}/c{c}_{cam.lower()}.mp4" for cam in CAMERAS}})
    return rows


def preference_rows(pairs: int = 4) -> list[dict]:
    """RoboArena-style pairs: two policies on one task, two cameras each."""
    gold = ("A", "B", "tie", "A", "B", "tie")
    return [{"item_id": f"pair{p}", "task": f"put the cup {p} in the sink", "preference": gold[p % len(gold)],
             "videos_a": {cam: f"pair{p}/a_{cam.lower()}.mp4" for cam in CAMERAS},
             "videos_b": {cam: f"pair{p}/b_{cam.lower()}.mp4" for cam in CAMERAS}} for p in range(pairs)]
