"""The evaluation run: items → frames → requests → model → parsed records → results.

Predictions are appended and fsynced item by item, so a run killed at any
point resumes from its output folder (same command) with nothing lost or
repeated. The output folder is a pure function of task, model and settings.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from roboreward_bench import interrupt
from roboreward_bench.data.items import Item
from roboreward_bench.errors import RRBenchError
from roboreward_bench.evaluation.rows import read_answer
from roboreward_bench.evaluation.selection import select_items
from roboreward_bench.frames.sampler import FrameSampler, VideoError
from roboreward_bench.models.base import ModelContext, Response, RewardModel
from roboreward_bench.models.redaction import redact_data
from roboreward_bench.parsing import get_parser
from roboreward_bench.prompts import VideoSlot, build_request, content_plan, plan_videos, request_hash
from roboreward_bench.requests import Request, VideoFilePart, VideoPart
from roboreward_bench.results.predictions import PREDICTIONS_FILE, PredictionRecord, PredictionsWriter, \
    read_predictions, rewrite_predictions
from roboreward_bench.tasks.spec import FrameSpec, GenerationSpec, TaskSpec

RUN_FILE = "run.json"


@dataclass(frozen=True)
class WorkItem:
    """An item ready for the model, already answered from the cache, or the reason it cannot reach it."""

    item: Item
    request: Request | None
    error: str | None
    cached: Response | None = None


CacheLookup = Callable[[str, str, str], "Response | None"]  # (item_id, prompt_version, content_hash)


def prepare(items: Sequence[Item], sampler: FrameSampler, prompt_id: str, video_position: str,
            lookup: CacheLookup | None = None, protocol: str = "discrete") -> Iterator[WorkItem]:
    """Lay out each item's parts, fetch its videos and build its request; unreadable videos
    become per-item errors.

    With ``lookup``, an item whose answer is cached is answered before its
    frames are decoded, so a cached re-run costs the cache reads. In
    whole-video mode (``sampler.spec.whole_video``) nothing is decoded: each
    video part is the file itself.
    """
    frames_spec = sampler.spec.describe()
    plans = [(item, content_plan(item, prompt_id, protocol, video_position)) for item in items]
    sampler.plan((slot.path, slot.clip_end) for _, plan in plans for slot in plan_videos(plan))
    for item, plan in plans:
        slots = plan_videos(plan)
        try:
            digests = {slot.path: sampler.video_digest(slot.path) for slot in slots}
            content_hash = request_hash(plan, frames_spec, digests)
            hit = lookup(item.item_id, prompt_id, content_hash) if lookup is not None else None
            if hit is not None:
                yield WorkItem(item, None, None, cached=hit)
                continue
            media = [video_media(sampler, slot, digests[slot.path]) for slot in slots]
        except RRBenchError as exc:
            yield WorkItem(item, None, str(exc))
            continue
        finally:
            for slot in slots:
                sampler.done(slot.path, slot.clip_end)
        yield WorkItem(item, build_request(item, plan, media, prompt_id, content_hash), None)


def video_media(sampler: FrameSampler, slot: VideoSlot, digest: str) -> VideoPart | VideoFilePart:
    """A video slot's content: the file itself in whole-video mode, else the sampled frames."""
    if sampler.spec.whole_video:
        if slot.clip_end is not None:
            raise VideoError(f"{slot.path}: whole-video mode sends the whole file, but this item ends at frame "
                             f"{slot.clip_end}; use frames: {{num_frames: N}} for clips")
        return VideoFilePart(path=slot.path, sha256=digest)
    frames = sampler.sample(slot.path, slot.clip_end)
    return VideoPart(frames=frames.frames, frame_indices=frames.indices, fps=frames.fps)


def prefetched(work: Iterator[WorkItem], depth: int = 8) -> Iterator[WorkItem]:
    """Run ``work`` in a background thread, ``depth`` items ahead.

    Decoding (PyAV releases the GIL) then overlaps with the model's generate
    and with request building, so the accelerator never waits on video I/O.
    """
    import queue
    import threading

    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for unit in work:
                while not stop.is_set():
                    try:
                        buffer.put(unit, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(exc)
        buffer.put(done)

    thread = threading.Thread(target=produce, name="rrbench-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            unit = buffer.get()
            if unit is done:
                return
            if isinstance(unit, BaseException):
                raise unit
            yield unit
    finally:
        stop.set()


def to_record(response: Response, parse: Callable[[str], Any]) -> PredictionRecord:
    """A model response as a predictions.jsonl line: an error, or an answer read as valid or invalid (and why)."""
    answer = read_answer(response.raw_text, response.error, parse, response.finish_reason, response.refusal)
    return PredictionRecord(
        item_id=response.item_id, raw_text=response.raw_text, parsed=answer.parsed,
        valid=answer.invalid_reason is None, error=response.error, latency_s=round(response.latency_s, 6),
        score_probs=response.score_probs, prompt_tokens=response.usage.prompt_tokens,
        completion_tokens=response.usage.completion_tokens, cached=response.cached,
        invalid_reason=None if response.error is not None else answer.invalid_reason,
        finish_reason=response.finish_reason, refusal=response.refusal, frames_used=response.frames_used)


def error_record(item_id: str, message: str) -> PredictionRecord:
    """The record of an item that never reached the model."""
    return PredictionRecord(item_id=item_id, raw_text="", parsed=None, valid=False, error=message)


# Frames held by one batch: a 16-frame 224-px request is ~2.4 MB, a 320-px one ~4.9 MB, a 720p one ~44 MB.
# With the prefetch queue this bounds the frames alive in a run (rrb-sim v2 with a 64-item baseline batch
# peaked at 775 MB RSS under a 256 MB cap, 264 MB under 32 MB); batches of small videos stay full.
MAX_BATCH_FRAME_BYTES = 128 << 20


def batched(work: Iterator[WorkItem], size: int, max_bytes: int = MAX_BATCH_FRAME_BYTES) -> Iterator[list[WorkItem]]:
    """Group work items into lists of at most ``size`` items and about ``max_bytes`` of frames."""
    batch: list[WorkItem] = []
    held = 0
    for unit in work:
        batch.append(unit)
        held += _frame_bytes(unit)
        if len(batch) >= size or held >= max_bytes:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _frame_bytes(unit: WorkItem) -> int:
    if unit.request is None:
        return 0
    return sum(getattr(getattr(part, "frames", None), "nbytes", 0)
               for message in unit.request.messages for part in message.content)


def run_model(model: RewardModel, work: Iterator[WorkItem], parser_name: str, writer: PredictionsWriter,
              on_done: Callable[[int], None] = lambda n: None,
              store: Callable[[Sequence[Request], Sequence[Response]], None] | None = None) -> None:
    """Feed prepared work to the model in batches and append each record as it completes.

    ``store`` is the cache stage's second half: it gets each batch's requests and answers.
    """
    parse = get_parser(parser_name)
    for batch in batched(work, max(1, int(getattr(model, "batch_size", 1)))):
        if interrupt.requested():  # Ctrl-C: no new requests
            raise KeyboardInterrupt
        for unit in batch:
            if unit.error is not None:
                writer.write(error_record(unit.item.item_id, unit.error))
            elif unit.cached is not None:
                writer.write(to_record(unit.cached, parse))
        ready = [unit.request for unit in batch if unit.request is not None]
        if ready:
            started = time.perf_counter()
            try:
                responses = model.generate(ready)
            except interrupt.InterruptedBatch as stop:  # Ctrl-C: save the answers that arrived, then stop
                for response in stop.answered:
                    writer.write(to_record(response, parse))
                raise
            except RRBenchError:  # the model cannot run at all (its server never started, or refuses video): stop
                raise
            except Exception as exc:  # one bad batch must not end the run
                message = f"model failed on this batch: {type(exc).__name__}: {exc}".splitlines()[0]
                responses = [Response(item_id=r.item_id, raw_text="", error=message) for r in ready]
            elapsed = (time.perf_counter() - started) / len(ready)
            if store is not None:
                store(ready, responses)
            for response in responses:
                if response.latency_s == 0.0:
                    response = _with_latency(response, elapsed)
                writer.write(to_record(response, parse))
        on_done(len(batch))
        batch = ready = []  # drop this batch's frames before the next batch is gathered, not after


def _with_latency(response: Response, latency: float) -> Response:
    from dataclasses import replace

    return replace(response, latency_s=latency)


@dataclass
class PendingRun:
    """The items still to do in an output folder, given what is already there."""

    done: dict[str, PredictionRecord] = field(default_factory=dict)
    todo: list[Item] = field(default_factory=list)


def pending(items: Sequence[Item], output_dir: Path, fresh: bool) -> PendingRun:
    """Read existing predictions (tolerating a half-written last line) and list what is left.

    Items that errored before (no answer was obtained) are asked again: their
    lines are dropped from predictions.jsonl first, in one atomic rewrite, so
    every answered item stays and none appears twice.
    """
    path = output_dir / PREDICTIONS_FILE
    if fresh and path.exists():
        path.unlink()
    existing = read_predictions(path, allow_partial_last_line=True) if path.exists() else []
    errored = [r for r in existing if r.error is not None]
    if errored:
        rewrite_predictions(path, [r for r in existing if r.error is None])
    wanted = {item.item_id for item in items}
    done = {r.item_id: r for r in existing if r.item_id in wanted and r.error is None}
    return PendingRun(done=done, todo=[item for item in items if item.item_id not in done])


def check_run_file(output_dir: Path, identity: dict[str, Any], fresh: bool) -> None:
    """Refuse to mix runs: an output folder belongs to one task/model/settings identity."""
    path = output_dir / RUN_FILE
    identity = redact_data(identity, by_name=False)  # compared as written: nothing secret reaches run.json
    if path.exists() and not fresh:
        previous = read_run_file(path)
        if previous != identity:
            changed = sorted(k for k in set(previous) | set(identity) if previous.get(k) != identity.get(k))
            raise RRBenchError(f"{output_dir}: holds a different run (differs in {', '.join(changed)}); "
                               "use --fresh to start over or another --output-dir")
    output_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(RUN_FILE + ".tmp")  # atomic: a crash leaves the old run.json or the new one
    tmp.write_text(json.dumps(identity, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_run_file(path: Path) -> dict[str, Any]:
    """The identity recorded in run.json; a torn, empty or foreign file is one line saying what to do."""
    advice = ("if this folder holds this same run, delete run.json to resume it; otherwise use --fresh "
              "or another --output-dir")
    try:
        previous = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise RRBenchError(f"{path}: not UTF-8 text, so not a run.json rrbench wrote; {advice}") from None
    except json.JSONDecodeError as exc:
        state = "empty" if not path.read_bytes().strip() else f"torn or not JSON ({exc.msg})"
        raise RRBenchError(f"{path}: {state}; {advice}") from None
    if not isinstance(previous, dict):
        raise RRBenchError(f"{path}: not a run description (expected a JSON object); {advice}")
    return previous


def processing_order(items: Sequence[Item]) -> list[Item]:
    """Items sharing a video run back to back, so its decoded frames are reused while cached."""
    return sorted(items, key=lambda item: (str(item.video_path), -1 if item.clip_end is None else item.clip_end))


def effective_frames(spec: FrameSpec, num_frames: int | None) -> tuple[FrameSpec, list[str]]:
    """Apply a ``--num-frames`` override and say whether it deviates from the task."""
    if num_frames is None or (spec.num_frames == num_frames and spec.fps is None):
        return spec, []
    return FrameSpec(num_frames=num_frames), [f"num_frames={num_frames} (task default {spec.describe()})"]


# Frames rrbench samples itself when a task sends whole videos but the model takes none
# (openai frames_as=images): Qwen-VL processors' default rate, capped.
FALLBACK_FRAMES = FrameSpec(num_frames=None, fps=2.0, max_frames=32)


def frames_for_model(frames: FrameSpec, model: Any) -> tuple[FrameSpec, list[str]]:
    """The frame spec actually used: whole files, unless the model cannot take one."""
    if not frames.whole_video or getattr(model, "accepts_video_files", True):
        return frames, []
    return FALLBACK_FRAMES, [f"frames: the model takes no video file, so rrbench sampled "
                             f"{FALLBACK_FRAMES.describe()} and sent them as images (protocol: the whole video)"]


def generation_deviations(protocol: GenerationSpec, model: Any) -> list[str]:
    """Each generation setting the model will use that differs from the task protocol's."""
    used = model.generation_settings() if hasattr(model, "generation_settings") else {}
    wanted = protocol.describe()
    return [f"{key}={used[key]} (protocol {wanted[key]})" for key in wanted
            if key in used and used[key] != wanted[key]]


def frames_record(frames: FrameSpec, records: Sequence[PredictionRecord]) -> dict[str, Any]:
    """results.json's ``frames``: the mode, the spec, and a summary of the frames models reported using."""
    counts = [len(video) for r in records if r.frames_used for video in r.frames_used]
    out: dict[str, Any] = {**frames.describe(), "mode": "whole_video" if frames.whole_video else "sampled"}
    out["frames_used"] = ({"videos": len(counts), "min": min(counts), "max": max(counts),
                           "mean": round(sum(counts) / len(counts), 3)} if counts
                          else "not reported (a server that takes whole files picks its own frames)"
                          if frames.whole_video else "not reported")
    return out


def reference_context(seed: int, spec: TaskSpec) -> ModelContext:
    """The model context, with the task's train/dev labels (or their counts) for the majority baseline."""
    if spec.reference_counts:
        labels = tuple(label for label, count in sorted(spec.reference_counts.items()) for _ in range(count))
        return ModelContext(seed=seed, reference_labels=labels,
                            reference_source=spec.reference_source or "label_counts in the task spec")
    if spec.reference is None:
        return ModelContext(seed=seed)
    from roboreward_bench.data.local import load_local_dataset

    labels = tuple(item.label for item in load_local_dataset(spec.reference).items)
    return ModelContext(seed=seed, reference_labels=labels, reference_source=str(spec.reference))


__all__ = ["WorkItem", "prepare", "run_model", "pending", "check_run_file", "processing_order",
           "effective_frames", "reference_context", "select_items"]
