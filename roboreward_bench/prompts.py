"""Stage 3: the rubric prompt and request building.

``roboreward-v1`` is RoboReward's rubric prompt as published on the
RoboReward-4B/8B model cards, byte for byte; ``<task>`` takes the item's
instruction. Any change to the text is a new prompt version.
"""

from __future__ import annotations

from roboreward_bench.data.items import Item
from roboreward_bench.frames.sampler import SampledFrames
import hashlib
import json

from roboreward_bench.plugins import PROMPTS
from roboreward_bench.requests import Message, Request, TextPart, VideoPart

ROBOREWARD_V1 = (
    "Given the task, assign a discrete progress score reward (1,2,3,4,5) for the robot in the video in the format: "
    "ANSWER: <score>\n"
    "Rubric for end-of-episode progress (judge only the final state without time limits):\n"
    "1 - No Success: Final state shows no goal-relevant change for the command.\n"
    "2 - Minimal Progress: Final state shows a small but insufficient change toward the goal.\n"
    "3 - Partial Completion: The final state shows good progress toward the goal but violates more than one "
    "requirement or a major requirement.\n"
    "4 - Near Completion: Final state is correct in region and intent but misses a single minor requirement.\n"
    "5 - Perfect Completion: Final state satisfies all requirements.\n"
    "Task: <task>"
)

PROMPTS.add("roboreward-v1", ROBOREWARD_V1, "RoboReward's rubric prompt (model cards of RoboReward-4B/8B)")


def render_prompt(prompt_id: str, instruction: str) -> str:
    """The prompt text for one instruction (an unknown id is a did-you-mean error)."""
    return PROMPTS.get(prompt_id).replace("<task>", instruction)


def request_hash(item: Item, prompt_id: str, video_position: str, frames: dict, video_digest: str) -> str:
    """What the model will see, named without decoding: prompt text, part order, and the
    sampled frames as (video bytes digest, clip_end, frame spec). Cache keys use it, so a
    cached answer is found before any frame is decoded."""
    payload = [render_prompt(prompt_id, item.instruction), video_position, video_digest, item.clip_end,
               sorted(frames.items())]
    return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


def build_request(item: Item, frames: SampledFrames, prompt_id: str, video_position: str,
                  content_hash: str) -> Request:
    """One user turn: the video then the rubric text (or text first, if the task says so)."""
    text = TextPart(render_prompt(prompt_id, item.instruction))
    video = VideoPart(frames=frames.frames, frame_indices=frames.indices, fps=frames.fps)
    parts = (video, text) if video_position == "before" else (text, video)
    messages = (Message(role="user", content=parts),)
    return Request(item_id=item.item_id, messages=messages, prompt_version=prompt_id, content_hash=content_hash)
