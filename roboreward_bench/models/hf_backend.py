"""The ``hf`` backend: any transformers image-text-to-text checkpoint, local or on the hub.

``--model hf:/path/to/dir`` or ``--model hf:Qwen/Qwen2.5-VL-7B-Instruct``, with
``--model-args`` from :class:`HFSettings`. Each request is rendered with the
processor's own chat template, its frames passed as one video in the user turn
(text and video parts in the request's order), and generated in left-padded
batches of ``batch_size`` (or, with ``batch_size=auto``, the largest that
fits in memory; see :mod:`~roboreward_bench.models.hf_batching`). dtype,
device and attention kernel default to what suits the hardware
(:mod:`~roboreward_bench.models.hf_settings`); the values actually used are
recorded in results.json. Decoding is greedy unless ``temperature > 0``; the
checkpoint's own sampling defaults (``generation_config.json``) are ignored so
runs are reproducible.

Weights load on the first request that is not served from the response cache,
so a fully cached re-run never loads the model.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from typing import Any, Mapping, Sequence

from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext, Response, Usage, fingerprint_of
from roboreward_bench.models.hf_batching import BatchSizer, free_memory, is_out_of_memory
from roboreward_bench.models.hf_checkpoint import Checkpoint, ensure_local, resolve_checkpoint
from roboreward_bench.models.hf_inputs import prepare_batch, whole_video_rule
from roboreward_bench.models.hf_scoring import SCORE_PROBS_METHOD, AnswerScorer
from roboreward_bench.models.hf_settings import HFSettings, pick_device, resolve_attention, resolve_dtype
from roboreward_bench.models.media import request_problem
from roboreward_bench.models.model_args import settings_from_args
from roboreward_bench.models.registry import register_model
from roboreward_bench.requests import Request


def protocol_args(context: ModelContext) -> dict[str, Any]:
    """The task protocol's generation settings under this backend's arg names."""
    names = {"max_tokens": "max_new_tokens", "temperature": "temperature"}
    return {names[key]: value for key, value in context.generation.items() if key in names}


@register_model("hf")
def build_hf_model(argument: str | None, model_args: Mapping[str, Any], context: ModelContext) -> "HFRewardModel":
    """transformers image-text-to-text model from a local folder or hub id (hf:<dir|owner/name>)."""
    settings = settings_from_args(HFSettings, {**protocol_args(context), **model_args}, "hf")
    checkpoint = resolve_checkpoint(argument, settings.revision)
    return HFRewardModel(checkpoint, settings, seed=context.seed)


class HFRewardModel:
    """A transformers VLM answering requests in batches; loads its weights on first use."""

    def __init__(self, checkpoint: Checkpoint, settings: HFSettings, seed: int = 0) -> None:
        self.checkpoint = checkpoint
        self.settings = settings
        self.seed = seed
        self.name = f"hf:{checkpoint.spec}"
        # With batch_size=auto the runner hands over max_batch_size requests at a time, and the sizer
        # splits them into the largest batches that fit.
        self.sizer = BatchSizer(settings.max_batch_size if settings.auto_batch else int(settings.batch_size),
                                auto=settings.auto_batch)
        self.batch_size = self.sizer.start
        self._model = None
        self._processor = None
        self._scorer: AnswerScorer | None = None
        self._load_error: ModelError | None = None
        self._usage = Usage()
        self.generate_seconds = 0.0
        self.load_seconds = 0.0

    @property
    def fingerprint(self) -> str:
        return fingerprint_of({"backend": "hf", "repo_id": self.checkpoint.repo_id, "weights": self.checkpoint.digest,
                               "dtype": resolve_dtype(self.settings), **self.settings.generation()})

    def generation_settings(self) -> dict[str, Any]:
        """max_tokens and temperature as sent, for comparison with the task protocol."""
        return {"max_tokens": self.settings.max_new_tokens, "temperature": self.settings.temperature}

    def describe(self) -> Mapping[str, Any]:
        facts: dict[str, Any] = {
            "backend": "hf", "name": self.name, "source": self.checkpoint.source,
            "repo_id": self.checkpoint.repo_id, "revision_requested": self.settings.revision,
            "commit": self.checkpoint.commit, "weights_digest": self.checkpoint.digest,
            "settings": asdict(self.settings), "fingerprint": self.fingerprint,
            "usage": {"prompt_tokens": self._usage.prompt_tokens,
                      "completion_tokens": self._usage.completion_tokens},
            "generate_seconds": round(self.generate_seconds, 4), "load_seconds": round(self.load_seconds, 3),
            "dtype_resolved": resolve_dtype(self.settings),
        }
        if self.settings.score_probs:
            facts["score_probs_method"] = SCORE_PROBS_METHOD
        if self._model is None:
            facts["loaded"] = False  # every response came from the cache
            return facts
        import torch
        import transformers

        facts.update(loaded=True, model_class=type(self._model).__name__,
                     processor_class=type(self._processor).__name__, dtype=str(self._model.dtype).replace("torch.", ""),
                     device=str(self._input_device()), transformers_version=transformers.__version__,
                     torch_version=torch.__version__, chat_template_sha256=self._template_hash(),
                     attn_implementation=getattr(self._model.config, "_attn_implementation", None),
                     device_map=_devices_used(self._model), batching=self.sizer.describe(),
                     whole_video_frames=whole_video_rule(self._processor))
        return facts

    # -- loading ---------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        if self._load_error is not None:  # do not retry a failed load on every batch
            raise self._load_error
        try:
            self._load()
        except ModelError as exc:
            self._load_error = exc
            raise

    def _load(self) -> None:
        start = time.perf_counter()
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        folder = ensure_local(self.checkpoint)
        options: dict[str, Any] = {"trust_remote_code": self.settings.trust_remote_code}
        dtype = resolve_dtype(self.settings)
        options["dtype"] = getattr(torch, dtype)
        attention = resolve_attention(self.settings, dtype)
        if attention:
            options["attn_implementation"] = attention
        if self.settings.device_map:
            options["device_map"] = self.settings.device_map
        try:
            processor = AutoProcessor.from_pretrained(folder, trust_remote_code=self.settings.trust_remote_code)
            model = AutoModelForImageTextToText.from_pretrained(folder, **options)
        except (OSError, ValueError, KeyError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.name}: cannot load as an image-text-to-text model: {first_line}") from None
        if not self.settings.device_map:
            model = model.to(pick_device(self.settings.device))
        model.eval()
        tokenizer = getattr(processor, "tokenizer", None)
        if tokenizer is None or getattr(processor, "chat_template", None) is None:
            raise ModelError(f"{self.name}: the processor has no tokenizer or no chat template")
        tokenizer.padding_side = "left"
        self._model, self._processor = model, processor
        self._scorer = AnswerScorer(processor, model) if self.settings.score_probs else None
        self.load_seconds = time.perf_counter() - start

    def _input_device(self):
        return self._model.get_input_embeddings().weight.device

    def _template_hash(self) -> str:
        return hashlib.sha256(str(self._processor.chat_template).encode()).hexdigest()

    # -- generation ------------------------------------------------------

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """Answer ``requests`` in chunks of ``batch_size``; bad items become error responses."""
        responses: dict[int, Response] = {}
        good: list[int] = []
        for index, request in enumerate(requests):
            problem = request_problem(request)
            if problem:
                responses[index] = Response(request.item_id, "", error=f"bad request: {problem}")
            else:
                good.append(index)
        if good:
            self._ensure_loaded()
        for index, response in zip(good, self._answer([requests[i] for i in good])):
            responses[index] = response
        return [responses[i] for i in range(len(requests))]

    def _answer(self, requests: list[Request]) -> list[Response]:
        """Batches of the sizer's size (``batch_size=auto``) or of ``batch_size``, in order."""
        out: list[Response] = []
        start = 0
        while start < len(requests):
            chunk = requests[start:start + (self.sizer.size if self.sizer.auto else self.batch_size)]
            try:
                out.extend(self._generate_batch(chunk))
            except Exception as exc:
                free_memory()
                if is_out_of_memory(exc) and self.sizer.out_of_memory(len(chunk), exc):
                    continue  # the same requests again, in a smaller batch
                out.extend(self._one_by_one(chunk, exc))
            else:
                self.sizer.succeeded(len(chunk))
            start += len(chunk)
        return out

    def _one_by_one(self, requests: list[Request], failure: Exception) -> list[Response]:
        """After a failed batch, each request alone, so only the culprit gets an error."""
        if len(requests) == 1:
            return [Response(requests[0].item_id, "", error=_one_line(failure))]
        out = []
        for request in requests:
            try:
                out.extend(self._generate_batch([request]))
            except Exception as exc:
                free_memory()
                out.append(Response(request.item_id, "", error=_one_line(exc)))
        return out

    def _generate_batch(self, requests: list[Request]) -> list[Response]:
        import torch

        start = time.perf_counter()
        batch = prepare_batch(self._processor, requests, self.settings.frames_as)
        inputs = batch.inputs.to(self._input_device())
        inputs = inputs.to(self._model.dtype)  # casts only floating-point tensors (pixel values)
        if self.settings.temperature > 0:
            torch.manual_seed(_batch_seed(self.seed, requests))
        generate_start = time.perf_counter()
        with torch.inference_mode():
            output = self._model.generate(**inputs, generation_config=self._generation_config())
        self.generate_seconds += time.perf_counter() - generate_start
        prompt_length = inputs["input_ids"].shape[1]
        completions = [self._completion_ids(row[prompt_length:].tolist()) for row in output.sequences]
        texts = [self._processor.tokenizer.decode(ids, skip_special_tokens=True) for ids in completions]
        probs = [None] * len(requests)
        if self._scorer is not None:
            probs = self._scorer.score(requests, batch.prompts, completions, texts, output.logits,
                                       self.settings.frames_as, self._input_device())
        elapsed = (time.perf_counter() - start) / len(requests)
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        responses = []
        for request, ids, text, p, n_prompt, used in zip(requests, completions, texts, probs, prompt_tokens,
                                                         batch.frames_used):
            usage = Usage(prompt_tokens=int(n_prompt), completion_tokens=len(ids))
            self._usage = Usage(self._usage.prompt_tokens + usage.prompt_tokens,
                                self._usage.completion_tokens + usage.completion_tokens)
            # An empty or cut-off completion is the model's answer, judged invalid when scored (not an error).
            responses.append(Response(request.item_id, text, score_probs=p, latency_s=elapsed, usage=usage,
                                      finish_reason=self._finish_reason(ids), frames_used=used))
        return responses

    def _generation_config(self):
        from transformers import GenerationConfig

        base = self._model.generation_config
        tokenizer = self._processor.tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else base.pad_token_id
        sample = self.settings.temperature > 0
        options: dict[str, Any] = {"max_new_tokens": self.settings.max_new_tokens, "do_sample": sample,
                                   "eos_token_id": self._eos_ids(), "pad_token_id": pad,
                                   "repetition_penalty": self.settings.repetition_penalty,
                                   "return_dict_in_generate": True, "output_logits": self._scorer is not None}
        if sample:
            options.update(temperature=self.settings.temperature, top_p=self.settings.top_p)
        return GenerationConfig(**options)

    def _eos_ids(self) -> list[int]:
        eos = self._model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, (list, tuple)) else [] if eos is None else [eos])
        if self._processor.tokenizer.eos_token_id is not None:
            ids.add(self._processor.tokenizer.eos_token_id)
        return sorted(ids)

    def _finish_reason(self, ids: list[int]) -> str:
        """``stop`` when generation ended on end-of-sequence, ``length`` when max_new_tokens cut it."""
        if ids and ids[-1] in set(self._eos_ids()):
            return "stop"
        return "length" if len(ids) >= self.settings.max_new_tokens else "stop"

    def _completion_ids(self, ids: list[int]) -> list[int]:
        """Generated ids up to and including the first end-of-sequence token (padding dropped)."""
        eos = set(self._eos_ids())
        for position, token in enumerate(ids):
            if token in eos:
                return ids[:position + 1]
        return ids


def _devices_used(model) -> list[str] | None:
    """The devices accelerate placed the weights on (``device_map``), or None if it did not."""
    placement = getattr(model, "hf_device_map", None)
    return sorted({str(device) for device in placement.values()}) if placement else None


def _batch_seed(seed: int, requests: Sequence[Request]) -> int:
    text = f"{seed}:" + ",".join(r.item_id for r in requests)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


__all__ = ["HFRewardModel", "HFSettings", "build_hf_model"]
