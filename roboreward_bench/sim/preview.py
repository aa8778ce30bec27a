"""A contact sheet of items for a person to look at: frames, instruction, label.

Works on any items in the local format (it only reads their videos).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from roboreward_bench.data.items import Item

THUMB = 128
TEXT_WIDTH = 360


def _pick(items: tuple[Item, ...], count: int, seed: int) -> list[Item]:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(items), size=min(count, len(items)), replace=False)
    return sorted((items[int(i)] for i in chosen), key=lambda it: (it.label, it.item_id))


def _thumbs(item: Item, frames: int, sampler) -> list[np.ndarray]:
    from PIL import Image

    sampled = sampler.sample(item.video_path, item.clip_end)
    return [np.asarray(Image.fromarray(f).resize((THUMB, THUMB))) for f in sampled.frames]


def contact_sheet(items: tuple[Item, ...], out: Path, count: int = 10, frames: int = 5, seed: int = 0) -> int:
    """Write a PNG with one row per sampled item; returns how many rows were drawn."""
    from PIL import Image, ImageDraw, ImageFont

    from roboreward_bench.frames.sampler import FrameSampler, VideoError
    from roboreward_bench.tasks.spec import FrameSpec

    sampler = FrameSampler(FrameSpec(num_frames=frames))
    picked = _pick(items, count, seed)
    width = frames * THUMB + TEXT_WIDTH
    sheet = Image.new("RGB", (width, THUMB * len(picked)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for row, item in enumerate(picked):
        top = row * THUMB
        try:
            for col, thumb in enumerate(_thumbs(item, frames, sampler)):
                sheet.paste(Image.fromarray(thumb), (col * THUMB, top))
        except VideoError as exc:
            draw.text((4, top + 4), f"unreadable: {exc}"[:80], fill="red", font=font)
        header = f"label {item.label} | {item.kind} | {item.subset}"
        body = textwrap.fill(item.instruction, width=44)
        x = frames * THUMB + 8
        draw.text((x, top + 6), header, fill=(160, 0, 0), font=font)
        draw.multiline_text((x, top + 26), body, fill="black", font=font, spacing=3)
        draw.text((x, top + THUMB - 20), item.item_id[:52], fill=(110, 110, 110), font=font)
        draw.line([(0, top + THUMB - 1), (width, top + THUMB - 1)], fill=(200, 200, 200))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return len(picked)
