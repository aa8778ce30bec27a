"""Stage 3: model-agnostic requests, built from an item, its frames and a prompt.

A request is a list of chat messages whose content parts are text, a video
given as frames (numpy uint8 arrays, HWC, RGB), or a whole video file that is
forwarded untouched (``frames: {whole_video: true}``: the model's processor or
the server picks the frames). Every backend translates this one shape into its
own (a processor chat template, OpenAI ``image_url``/``video_url`` parts, …),
so prompts are rendered once, in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np


@dataclass(frozen=True)
class TextPart:
    """A text content part."""

    text: str


@dataclass(frozen=True, eq=False)
class VideoPart:
    """A video content part: sampled frames in display order.

    ``frames`` has shape (T, H, W, 3), dtype uint8, RGB. ``frame_indices`` are
    the indices of those frames in the source video and ``fps`` its frame rate.
    """

    frames: np.ndarray
    frame_indices: tuple[int, ...]
    fps: float


@dataclass(frozen=True)
class VideoFilePart:
    """A whole video file, sent as it is: rrbench never decodes it.

    ``sha256`` is the digest of the file's bytes (it names the content in
    cache keys); ``fps`` and ``frame_count`` are left to the model.
    """

    path: Path
    sha256: str


ContentPart = Union[TextPart, VideoPart, VideoFilePart]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: str
    content: tuple[ContentPart, ...]


@dataclass(frozen=True, eq=False)
class Request:
    """Everything a reward model sees for one item.

    ``content_hash`` names what the model sees without decoding it: the
    rendered text, part order, frame settings and the video file's digest
    (``prompts.request_hash``), so the response cache is probed before frames
    are decoded.
    """

    item_id: str
    messages: tuple[Message, ...]
    prompt_version: str
    content_hash: str

    @property
    def parts(self) -> tuple[ContentPart, ...]:
        """Every content part of every message, in order."""
        return tuple(part for message in self.messages for part in message.content)

    @property
    def text(self) -> str:
        """All text parts joined, in order (handy for text-only backends)."""
        return "\n".join(p.text for m in self.messages for p in m.content if isinstance(p, TextPart))

    @property
    def video(self) -> VideoPart | None:
        """The first video part, if any."""
        for message in self.messages:
            for part in message.content:
                if isinstance(part, VideoPart):
                    return part
        return None


def hash_messages(messages: tuple[Message, ...]) -> str:
    """SHA-256 over roles, text and frame bytes, in order."""
    digest = hashlib.sha256()
    for message in messages:
        digest.update(b"\x00role:" + message.role.encode())
        for part in message.content:
            if isinstance(part, TextPart):
                digest.update(b"\x00text:" + part.text.encode())
            elif isinstance(part, VideoFilePart):
                digest.update(b"\x00file:" + part.sha256.encode())
            else:
                frames = np.ascontiguousarray(part.frames)
                digest.update(b"\x00video:" + str(frames.shape).encode())
                digest.update(memoryview(frames).cast("B"))
    return digest.hexdigest()
