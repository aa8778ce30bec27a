"""Stage 3: prompt texts, and the order of content parts each protocol sends.

Prompt versions, byte for byte (any change to a text is a new version):

- ``roboreward-v1``: RoboReward's rubric prompt as published on the
  RoboReward-4B/8B model cards; ``<task>`` takes the item's instruction.
- ``helm-progress-v1`` and ``helm-preference-v1``: the instructions of HELM's
  RoboRewardBench progress-prediction and preference-ranking run specs
  (``vlm_run_specs.py``, branch ``rob`` at 0805b90bf28b; shared/PROTOCOLS.md §2–3).

:func:`content_plan` lays out one item's parts: text segments and video slots
(a file and where its clip ends). The runner hashes the plan without decoding
anything, then fills each slot with sampled frames or, in whole-video mode,
with the file itself (:func:`build_request`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence, Union

from roboreward_bench.data.items import Item
from roboreward_bench.plugins import PROMPTS
from roboreward_bench.requests import Message, Request, TextPart, VideoFilePart, VideoPart

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

# HELM's progress-prediction instructions (the whole text; the task follows in its own part).
HELM_PROGRESS_V1 = (
    'You will be shown a single video rollout of a robot attempting to complete a given task, captured '
    'from multiple camera angles.\n'
    '\n'
    'Estimate the percentage of the task that the robot has completed. Focus **only** on how much of the '
    'overall task was achieved, and ignore other factors.\n'
    '\n'
    'First, describe how the robot performed and explain your reasoning. Then, on a new line, write your '
    'final answer in **exactly** the following format:\n'
    'ANSWER: <score>\n'
    'where <score> is a floating-point number between 0 and 100 indicating the percentage of task '
    'completion.\n'
    '\n'
    '**Do not include any additional commentary, punctuation, or variations. Only use the format above.**'
)

# HELM's preference-ranking instructions.
HELM_PREFERENCE_V1 = (
    'You will be shown two video rollouts (Policy A and Policy B) of a robot attempting to complete the '
    'same task, captured from multiple camera angles. Your goal is to evaluate which policy performs the '
    'task more effectively.\n'
    '\n'
    "Carefully analyze each policy's actions based on the task objective. Consider task completion, "
    'precision, efficiency, and any mistakes or hesitations.\n'
    '\n'
    'First, describe how each policy performed and explain your reasoning for the final answer. Then, on '
    'a new line, write your final answer in **exactly** the following format:\n'
    'ANSWER: A  (if Policy A is better)\n'
    'ANSWER: B  (if Policy B is better)\n'
    'ANSWER: tie  (if both are equally good)\n'
    '\n'
    '**Do not include any additional commentary, punctuation, or variations in the format. Only use one '
    'of the three options exactly as written above.**'
)

PROMPTS.add("roboreward-v1", ROBOREWARD_V1, "RoboReward's rubric prompt (model cards of RoboReward-4B/8B)")
PROMPTS.add("helm-progress-v1", HELM_PROGRESS_V1, "HELM's progress-prediction instructions (RoboRewardBench)")
PROMPTS.add("helm-preference-v1", HELM_PREFERENCE_V1, "HELM's preference-ranking instructions (RoboRewardBench)")


@dataclass(frozen=True)
class VideoSlot:
    """Where a video goes in a request: the file and the last frame shown (None: the whole video)."""

    path: Path
    clip_end: int | None = None


Segment = Union[TextPart, VideoSlot]


def render_prompt(prompt_id: str, instruction: str) -> str:
    """The prompt text for one instruction (``<task>`` filled in where the text has it; an unknown id
    is a did-you-mean error)."""
    return PROMPTS.get(prompt_id).replace("<task>", instruction)


def content_plan(item: Item, prompt_id: str, protocol: str = "discrete",
                 video_position: str = "before") -> tuple[Segment, ...]:
    """The content parts of ``item``'s request, in the order the protocol sends them.

    - discrete: the rubric text and the video, video first (``before``) or
      text first (``after``, HELM's order);
    - progress: instructions, ``"\\nTask: <task>\\n"``, then per camera
      ``"<Name> camera:"`` and its video;
    - preference: instructions, ``"\\nTask: <task>\\n"``, ``"Policy A"``, per camera
      ``"Policy A - <Name> camera:"`` and its video, ``"\\n"``, ``"Policy B"``
      and B's cameras likewise.
    """
    if protocol == "discrete":
        text, video = TextPart(render_prompt(prompt_id, item.instruction)), VideoSlot(item.video_path, item.clip_end)
        return (video, text) if video_position == "before" else (text, video)
    head: list[Segment] = [TextPart(render_prompt(prompt_id, item.instruction)),
                           TextPart("\n" + f"Task: {item.instruction}\n")]
    if protocol == "progress":
        for video in item.videos:
            head += [TextPart(f"{video.camera} camera:"), VideoSlot(video.path)]
        return tuple(head)
    for index, rollout in enumerate(("A", "B")):
        head += [TextPart("\n")] if index else []
        head.append(TextPart(f"Policy {rollout}"))
        for video in (v for v in item.videos if v.rollout == rollout):
            head += [TextPart(f"Policy {rollout} - {video.camera} camera:"), VideoSlot(video.path)]
    return tuple(head)


def plan_videos(plan: Sequence[Segment]) -> list[VideoSlot]:
    """The video slots of a plan, in order."""
    return [segment for segment in plan if isinstance(segment, VideoSlot)]


def request_hash(plan: Sequence[Segment], frames: dict, digests: Mapping[Path, str]) -> str:
    """What the model will see, named without decoding: every text, each video's bytes digest and
    clip end, in order, and the frame spec. Cache keys use it, so a cached answer is found before
    any frame is decoded."""
    payload = [[s.text] if isinstance(s, TextPart) else [digests[s.path], s.clip_end] for s in plan]
    payload.append(sorted(frames.items()))
    return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


def build_request(item: Item, plan: Sequence[Segment], media: Sequence[VideoPart | VideoFilePart], prompt_id: str,
                  content_hash: str) -> Request:
    """One user turn: the plan with its video slots filled by ``media``, in order."""
    filled = iter(media)
    parts = tuple(segment if isinstance(segment, TextPart) else next(filled) for segment in plan)
    return Request(item_id=item.item_id, messages=(Message(role="user", content=parts),), prompt_version=prompt_id,
                   content_hash=content_hash)
