"""The ``openai`` backend: any OpenAI-compatible chat endpoint.

``--model openai:<served model name>`` with ``--model-args base_url=…,
api_key_env=NAME,concurrency=N``. Works with vLLM, SGLang, TGI,
``transformers serve``, OpenAI and Gemini's OpenAI-compatible endpoint.

- A whole video file (``frames: {whole_video: true}``, HELM's protocols) goes
  as one ``video_url`` part holding the MP4's own bytes as a data URI, which
  vLLM, SGLang and Gemini's endpoint accept; the server picks the frames.
  Sampled frames go as ``image_url`` parts holding JPEG data URIs (the most
  portable form), or with ``frames_as=video`` re-encoded as one ``video_url``
  MP4. ``frames_as=images`` is the fallback for servers without video input:
  the harness then samples frames itself and records the run as non-standard.
  A server that refuses a ``video_url`` part stops the run with a one-line
  error suggesting it.
- Up to ``concurrency`` requests are in flight at once (threads).
- 429, 408, 5xx, timeouts and dropped connections are retried with
  exponential backoff and jitter (honouring ``Retry-After``); a final failure
  becomes the item's ``Response.error``, never an exception.
- ``score_probs=true`` asks for token log-probabilities and reads P(1..5) at
  the answer token (:mod:`roboreward_bench.models.openai_scoring`); servers
  without logprobs give ``None``.
- The API key is read from the environment variable *named* by
  ``api_key_env``. It is never stored, printed or logged: it is scrubbed from
  every error message and from the openai/httpx log records.

Scale-out recipe: ``vllm serve <model> --tensor-parallel-size T
--data-parallel-size D`` on the GPU box, then ``rrbench eval --model
openai:<model> --model-args base_url=http://host:8000/v1,concurrency=64``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from roboreward_bench import interrupt
from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import FatalModelError, ModelContext, Response, Usage, fingerprint_of
from roboreward_bench.models.media import file_data_uri, jpeg_data_uri, mp4_data_uri, request_problem
from roboreward_bench.models.model_args import check_choice, check_positive, settings_from_args
from roboreward_bench.models.openai_scoring import score_probs_from_logprobs
from roboreward_bench.models.redaction import Redactor
from roboreward_bench.models.registry import register_model
from roboreward_bench.requests import Request, TextPart, VideoFilePart, VideoPart

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
_NO_KEY = "EMPTY"
_MAX_RETRY_AFTER = 600.0  # what vLLM and friends expect when they run without auth


@dataclass(frozen=True)
class OpenAISettings:
    """``--model-args`` of the openai backend."""

    base_url: str = "https://api.openai.com/v1"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    batch_size: int | None = None
    timeout: float = 120.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    frames_as: str = "auto"
    jpeg_quality: int = 85
    image_detail: str | None = None
    temperature: float | None = 0.0
    top_p: float | None = None
    max_tokens: int | None = 5000
    max_tokens_param: str = "max_tokens"
    reasoning_effort: str | None = None
    seed: int | None = None
    score_probs: bool = False
    top_logprobs: int = 20

    def __post_init__(self) -> None:
        check_choice(self.frames_as, ("auto", "images", "video"), "openai: model arg 'frames_as'")
        check_choice(self.max_tokens_param, ("max_tokens", "max_completion_tokens"),
                     "openai: model arg 'max_tokens_param'")
        check_positive(self.concurrency, "openai: model arg 'concurrency'")
        check_positive(self.timeout, "openai: model arg 'timeout'")
        check_positive(self.max_retries, "openai: model arg 'max_retries'", allow_zero=True)
        if not 1 <= self.jpeg_quality <= 100:
            raise ModelError(f"openai: model arg 'jpeg_quality' must be 1..100, got {self.jpeg_quality}")

    def generation(self) -> dict[str, Any]:
        """Settings that change what the model answers (part of the fingerprint)."""
        keys = ("frames_as", "image_detail", "temperature", "top_p", "max_tokens", "reasoning_effort", "seed",
                "score_probs")
        out = {key: getattr(self, key) for key in keys}
        if self.frames_as != "video":
            out["jpeg_quality"] = self.jpeg_quality
        return out


@register_model("openai")
def build_openai_model(argument: str | None, model_args: Mapping[str, Any],
                       context: ModelContext) -> "OpenAIRewardModel":
    """Any OpenAI-compatible chat endpoint: vLLM, SGLang, TGI, transformers serve, GPT, Gemini (openai:<model>)."""
    protocol = {key: value for key, value in context.generation.items() if key in ("max_tokens", "temperature")}
    settings = settings_from_args(OpenAISettings, {**protocol, **model_args}, "openai")
    if not argument:
        raise ModelError("the openai backend needs the served model name, e.g. --model openai:gpt-5 "
                         "or --model openai:Qwen/Qwen2.5-VL-72B-Instruct")
    return OpenAIRewardModel(argument, settings, api_key=_read_key(settings))


def _read_key(settings: OpenAISettings) -> str:
    if settings.api_key_env.lower() in ("", "none"):
        return _NO_KEY
    key = os.environ.get(settings.api_key_env, "").strip()
    if key:
        return key
    if (urlsplit(settings.base_url).hostname or "") in _LOCAL_HOSTS:
        return _NO_KEY
    raise ModelError(f"openai: the environment variable {settings.api_key_env} is not set; export your API key "
                     f"there (or name another variable with api_key_env=NAME, or api_key_env=none for a server "
                     f"without auth)")


def public_url(url: str) -> str:
    """``url`` without user:password and query (which may carry credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class OpenAIRewardModel:
    """Sends each request to an OpenAI-compatible endpoint, ``concurrency`` at a time."""

    def __init__(self, model: str, settings: OpenAISettings, api_key: str) -> None:
        self.model = model
        self.settings = settings
        self.name = f"openai:{model}"
        self.batch_size = settings.batch_size or 4 * settings.concurrency
        self._redact = Redactor([api_key] if api_key != _NO_KEY else [])
        self._redact.install_log_filter()
        self._api_key = api_key
        self._client = None  # built on the first request, so a fully cached run never opens a connection
        self._lock = threading.Lock()
        self._jitter = random.Random()
        self._totals = {"requests": 0, "retries": 0, "failures": 0, "prompt_tokens": 0, "completion_tokens": 0}
        self._served_models: set[str] = set()

    @property
    def accepts_video_files(self) -> bool:
        """Whether a whole video file can be forwarded (else the harness samples frames for it)."""
        return self.settings.frames_as != "images"

    def generation_settings(self) -> dict[str, Any]:
        """max_tokens and temperature as sent, for comparison with the task protocol."""
        return {"max_tokens": self.settings.max_tokens, "temperature": self.settings.temperature}

    @property
    def fingerprint(self) -> str:
        return fingerprint_of({"backend": "openai", "model": self.model, "base_url": public_url(self.settings.base_url),
                               **self.settings.generation()})

    def describe(self) -> Mapping[str, Any]:
        settings = asdict(self.settings)
        settings["base_url"] = public_url(self.settings.base_url)
        with self._lock:
            totals = dict(self._totals)
            served = sorted(self._served_models)
        return {"backend": "openai", "name": self.name, "model": self.model, "served_models": served,
                "settings": settings, "fingerprint": self.fingerprint,
                "usage": {"prompt_tokens": totals.pop("prompt_tokens"),
                          "completion_tokens": totals.pop("completion_tokens")}, "calls": totals}

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """Answer ``requests`` with up to ``concurrency`` in flight; results keep request order."""
        if not requests:
            return []
        workers = min(self.settings.concurrency, len(requests))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rrbench-openai")
        futures = [pool.submit(self._answer, request) for request in requests]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:  # keep what already arrived; abandon the rest
            arrived = [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]
            raise interrupt.InterruptedBatch([r for r in arrived if r.error is None]) from None
        finally:  # on Ctrl-C, do not wait for requests in flight (the CLI exits without them)
            pool.shutdown(wait=not interrupt.requested(), cancel_futures=True)

    # -- one request -----------------------------------------------------

    def _answer(self, request: Request) -> Response:
        start = time.perf_counter()
        problem = request_problem(request)
        if problem:
            return Response(request.item_id, "", error=f"bad request: {problem}")
        try:
            messages = self.messages(request)
        except Exception as exc:
            return Response(request.item_id, "", error=f"cannot encode frames: {self._redact.one_line(exc)}")
        attempt = 0
        while True:
            try:
                completion = self._get_client().chat.completions.create(model=self.model, messages=messages,
                                                                        **self._parameters())
                break
            except Exception as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None and _has_video_url(messages) and _refuses_video(exc):
                    raise FatalModelError(
                        f"{self.name} at {public_url(self.settings.base_url)} refused a video_url part "
                        f"({self._redact.one_line(exc)[:200]}); it may not take video input: run again with "
                        f"--model-args frames_as=images (frames sampled by rrbench, recorded as non-standard)")
                if delay is None:
                    self._count(failures=1, requests=1)
                    retries = f" (after {attempt} retries)" if attempt else ""
                    return Response(request.item_id, "", error=self._redact.one_line(exc) + retries,
                                    latency_s=time.perf_counter() - start)
                if interrupt.requested() or interrupt.wait(delay):  # Ctrl-C: cancelled, never retried
                    return Response(request.item_id, "", error="cancelled by Ctrl-C")
                attempt += 1
                self._count(retries=1)
        return self._response(request, completion, time.perf_counter() - start)

    def _get_client(self):
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(base_url=self.settings.base_url, api_key=self._api_key,
                                             timeout=self.settings.timeout, max_retries=0)
            return self._client

    def _response(self, request: Request, completion: Any, latency: float) -> Response:
        usage = getattr(completion, "usage", None)
        counts = Usage(prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                       completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))
        self._count(requests=1, prompt_tokens=counts.prompt_tokens, completion_tokens=counts.completion_tokens)
        if getattr(completion, "model", None):
            with self._lock:
                self._served_models.add(str(completion.model))
        choices = getattr(completion, "choices", None) or []
        if not choices:
            return Response(request.item_id, "", error="the server returned no choices", latency_s=latency,
                            usage=counts)
        message = choices[0].message
        # An empty, refused or cut-off completion is still the model's answer (judged invalid when scored).
        text = message.content or ""
        refusal = getattr(message, "refusal", None)
        probs = None
        if self.settings.score_probs:
            probs = score_probs_from_logprobs(getattr(choices[0], "logprobs", None))
        return Response(request.item_id, text, score_probs=probs, latency_s=latency, usage=counts,
                        finish_reason=getattr(choices[0], "finish_reason", None),
                        refusal=str(refusal) if refusal else None, frames_used=_frames_sent(request))

    def _parameters(self) -> dict[str, Any]:
        s = self.settings
        params: dict[str, Any] = {}
        for key in ("temperature", "top_p", "reasoning_effort", "seed"):
            if getattr(s, key) is not None:
                params[key] = getattr(s, key)
        if s.max_tokens is not None:
            params[s.max_tokens_param] = s.max_tokens
        if s.score_probs:
            params.update(logprobs=True, top_logprobs=s.top_logprobs)
        return params

    def _retry_delay(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before retrying ``exc``, or None if it is final."""
        import openai

        if attempt >= self.settings.max_retries:
            return None
        retry_after = None
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code not in (408, 409, 429) and exc.status_code < 500:
                return None
            retry_after = _retry_after(exc.response.headers)
        elif not isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
            return None
        cap = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempt)
        with self._lock:
            delay = cap / 2 + self._jitter.uniform(0, cap / 2)
        if retry_after is not None:  # the server knows best, within reason
            delay = max(delay, min(retry_after, _MAX_RETRY_AFTER))
        return delay

    def _count(self, **increments: int) -> None:
        with self._lock:
            for key, value in increments.items():
                self._totals[key] += value

    # -- request translation ----------------------------------------------

    def messages(self, request: Request) -> list[dict[str, Any]]:
        """The request as OpenAI chat messages (content parts in request order)."""
        out = []
        for message in request.messages:
            content: list[dict[str, Any]] = []
            for part in message.content:
                if isinstance(part, TextPart):
                    content.append({"type": "text", "text": part.text})
                elif isinstance(part, VideoFilePart):
                    content.append({"type": "video_url", "video_url": {"url": file_data_uri(part.path)}})
                elif self.settings.frames_as == "video":
                    content.append({"type": "video_url", "video_url": {"url": mp4_data_uri(part)}})
                else:
                    content.extend(self._image_part(frame) for frame in part.frames)
            out.append({"role": message.role, "content": content})
        return out

    def _image_part(self, frame) -> dict[str, Any]:
        image: dict[str, Any] = {"url": jpeg_data_uri(frame, self.settings.jpeg_quality)}
        if self.settings.image_detail:
            image["detail"] = self.settings.image_detail
        return {"type": "image_url", "image_url": image}


def _has_video_url(messages: list[dict[str, Any]]) -> bool:
    return any(isinstance(m["content"], list) and any(p.get("type") == "video_url" for p in m["content"])
               for m in messages)


def _refuses_video(exc: BaseException) -> bool:
    """A final error that says the server does not take this video: a 4xx, or any error naming video."""
    import openai

    status = getattr(exc, "status_code", None)
    text = str(exc).lower()
    return isinstance(exc, openai.APIStatusError) and (status in (400, 404, 415, 422) or "video" in text)


def _frames_sent(request: Request) -> tuple[tuple[int, ...], ...] | None:
    """Frame indices rrbench sampled, per video part; None when a whole file went (the server chose)."""
    parts = [part for part in request.parts if isinstance(part, (VideoPart, VideoFilePart))]
    if not parts or any(isinstance(part, VideoFilePart) for part in parts):
        return None
    return tuple(tuple(part.frame_indices) for part in parts)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Retry-After`` / ``retry-after-ms`` headers, if present and numeric."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None
