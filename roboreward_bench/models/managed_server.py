"""Managed inference servers: ``vllm:``, ``sglang:`` and ``serve:`` models.

``--model vllm:<hub id or dir>`` (or ``sglang:``, or ``serve:<model>
--model-args launcher=vllm|sglang|transformers``) makes rrbench start the
server itself, on the first request that is not answered from the cache:

1. pick a free loopback port (or check the one given with ``port=``);
2. start the server through :mod:`~roboreward_bench.models.server_guard`, its
   output appended to ``server.log`` in the run folder;
3. wait for ``/health`` (or ``/v1/models``), printing progress, then send one
   one-token request to prove the model answers; print the time from launch
   to that first request;
4. answer every request with the OpenAI-compatible backend, at a concurrency
   suited to the server (``concurrency=`` overrides it);
5. stop the server and its whole process group when the run ends: on
   success, error or Ctrl-C (:meth:`ManagedServerModel.close`), and through
   the guard even if rrbench itself is killed.

Tensor/data parallelism and memory settings are model args
(:class:`ManagedSettings`); every other model arg goes to the OpenAI backend
(``max_tokens``, ``frames_as``, ``score_probs``…).
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from roboreward_bench.errors import ModelError, did_you_mean
from roboreward_bench.models.base import ModelContext, Response, fingerprint_of
from roboreward_bench.models.model_args import check_choice, check_positive, settings_from_args
from roboreward_bench.models.registry import register_model
from roboreward_bench.models.server_launchers import LAUNCHERS, Launcher, ServerOptions, public_command
from roboreward_bench.models.server_process import HOST, ServerProcess, free_port, log_tail, port_in_use
from roboreward_bench.requests import Request, VideoPart

LOG_FILE = "server.log"
_RESERVED = ("base_url", "api_key_env")


@dataclass(frozen=True)
class ManagedSettings:
    """``--model-args`` about the server itself; the rest go to the OpenAI backend."""

    launcher: str | None = None
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float | None = None
    max_model_len: int | None = None
    dtype: str | None = None
    device: str | None = None
    trust_remote_code: bool = False
    server_args: str | None = None
    port: int | None = None
    startup_timeout: float = 1800.0
    stop_timeout: float = 15.0
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.launcher is not None:
            check_choice(self.launcher, tuple(LAUNCHERS), "model arg 'launcher'")
        check_positive(self.tensor_parallel_size, "model arg 'tensor_parallel_size'")
        check_positive(self.data_parallel_size, "model arg 'data_parallel_size'")
        check_positive(self.startup_timeout, "model arg 'startup_timeout'")
        check_positive(self.stop_timeout, "model arg 'stop_timeout'")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise ModelError(f"model arg 'port' must be 1..65535, got {self.port}")
        if self.concurrency is not None:
            check_positive(self.concurrency, "model arg 'concurrency'")


def split_model_args(args: Mapping[str, Any], backend: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(server args, OpenAI backend args); unknown names get one line with a did-you-mean."""
    from roboreward_bench.models.openai_backend import OpenAISettings

    server_keys = {f.name for f in fields(ManagedSettings)}
    client_keys = {f.name for f in fields(OpenAISettings)} - set(_RESERVED) - {"concurrency"}
    server, client = {}, {}
    for key, value in args.items():
        if key in _RESERVED:
            raise ModelError(f"{backend}: model arg {key!r} is set by rrbench for the server it starts; to use a "
                             f"server you started yourself, use --model openai:<model> --model-args base_url=…")
        if key in server_keys:
            server[key] = value
        elif key in client_keys:
            client[key] = value
        else:
            known = sorted(server_keys | client_keys)
            raise ModelError(f"{backend}: unknown model arg {key!r}." + did_you_mean(key, known)
                             + f" Known: {', '.join(known)}")
    return server, client


def _build(backend: str, launcher: str | None, argument: str | None, model_args: Mapping[str, Any],
           context: ModelContext) -> "ManagedServerModel":
    server_args, client_args = split_model_args(model_args, backend)
    settings = settings_from_args(ManagedSettings, server_args, backend)
    if launcher is not None and settings.launcher not in (None, launcher):
        raise ModelError(f"{backend}: model arg launcher={settings.launcher} contradicts --model {backend}:…; "
                         f"use --model serve:<model> --model-args launcher={settings.launcher}")
    chosen = launcher or settings.launcher
    if chosen is None:
        raise ModelError(f"serve: needs model arg launcher={'|'.join(LAUNCHERS)}, "
                         f"e.g. --model serve:Qwen/Qwen2.5-VL-7B-Instruct --model-args launcher=vllm")
    if not argument:
        raise ModelError(f"{backend}: needs a hub id or a checkpoint folder, e.g. --model {backend}:Qwen/Qwen2.5-VL-7B-Instruct")
    LAUNCHERS[chosen].require()  # not installed → one line now, before any data is read
    return ManagedServerModel(backend, chosen, argument, replace(settings, launcher=chosen), client_args)


@register_model("vllm")
def build_vllm_model(argument: str | None, model_args: Mapping[str, Any], context: ModelContext):
    """Start a vLLM server for this run (vllm:<hub id or dir>; tensor_parallel_size=, data_parallel_size=)."""
    return _build("vllm", "vllm", argument, model_args, context)


@register_model("sglang")
def build_sglang_model(argument: str | None, model_args: Mapping[str, Any], context: ModelContext):
    """Start an SGLang server for this run (sglang:<hub id or dir>; tensor_parallel_size=, data_parallel_size=)."""
    return _build("sglang", "sglang", argument, model_args, context)


@register_model("serve")
def build_served_model(argument: str | None, model_args: Mapping[str, Any], context: ModelContext):
    """Start a server for this run (serve:<model> --model-args launcher=vllm|sglang|transformers)."""
    return _build("serve", None, argument, model_args, context)


def images_needed(requests: Sequence[Request]) -> int:
    """The most frames any one request carries (servers like vLLM cap images per prompt)."""
    return max((sum(p.frames.shape[0] for m in r.messages for p in m.content if isinstance(p, VideoPart))
                for r in requests), default=0)



def _served_name(argument: str) -> tuple[str, Path | None]:
    """The name the server serves (an absolute path for a local folder) and the folder, if local."""
    path = Path(argument).expanduser()
    if path.is_dir():
        return str(path.resolve()), path.resolve()
    return argument, None


class ManagedServerModel:
    """A server rrbench starts on first use, answers through, and always stops."""

    def __init__(self, backend: str, launcher: str, argument: str, settings: ManagedSettings,
                 client_args: Mapping[str, Any]) -> None:
        from roboreward_bench.models.openai_backend import OpenAISettings

        self.backend = backend
        self.launcher: Launcher = LAUNCHERS[launcher]
        self.settings = settings
        self.model, self.folder = _served_name(argument)
        self.name = f"{backend}:{argument}"
        concurrency = settings.concurrency or self.launcher.concurrency
        self.client_settings = settings_from_args(
            OpenAISettings, {**client_args, "api_key_env": "", "concurrency": concurrency}, backend)
        self.batch_size = self.client_settings.batch_size or 4 * concurrency
        self.log_dir: Path | None = None
        self._client = None
        self._process: ServerProcess | None = None
        self._start_error: ModelError | None = None
        self._facts: dict[str, Any] = {"started": False}
        self._weights = None

    # -- identity ----------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """Model, weights, launcher, server dtype/args and generation settings; never the port."""
        if self.folder is not None and self._weights is None:
            from roboreward_bench.models.hf_checkpoint import folder_digest

            self._weights = folder_digest(self.folder)
        return fingerprint_of({"backend": "managed", "launcher": self.launcher.name,
                               "model": None if self.folder else self.model, "weights": self._weights,
                               "dtype": self.settings.dtype, "server_args": self.settings.server_args,
                               **self.client_settings.generation()})

    def describe(self) -> Mapping[str, Any]:
        facts: dict[str, Any] = dict(self._client.describe()) if self._client is not None else {}
        facts.update(backend=self.backend, name=self.name, model=self.model, client="openai",
                     launcher=self.launcher.name, fingerprint=self.fingerprint,
                     server_settings=asdict(self.settings),
                     settings=facts.get("settings") or asdict(self.client_settings), server=dict(self._facts))
        return facts

    # -- lifecycle -----------------------------------------------------------

    def attach_run_folder(self, run_dir: Path) -> None:
        """Keep the server's log in the run folder (called before the run)."""
        self.log_dir = Path(run_dir)

    def close(self) -> None:
        """Stop the server and its process group (safe to call twice, or before a start)."""
        if self._process is not None and not self._process.stopped:
            seconds = self._process.stop()
            self._facts.update(stopped=True, stop_seconds=round(seconds, 3))
            _say(f"stopped {self.launcher.display} on {HOST}:{self._process.port} ({seconds:.1f} s)")

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """Start the server on first use, then answer through the OpenAI-compatible backend."""
        if not requests:
            return []
        self._ensure_started(requests)
        code = self._process.exit_code()
        if code is not None:
            message = (f"{self.launcher.display} exited during the run (exit code {code}); log "
                       f"{self._process.log_path} ends: {log_tail(self._process.log_path)}")
            return [Response(r.item_id, "", error=message) for r in requests]
        return self._client.generate(requests)

    def _ensure_started(self, requests: Sequence[Request]) -> None:
        if self._start_error is not None:
            raise self._start_error
        if self._client is not None:
            return
        try:
            self._start(requests)
        except ModelError as exc:
            self._start_error = exc
            raise

    def _start(self, requests: Sequence[Request]) -> None:
        from roboreward_bench.models.openai_backend import OpenAIRewardModel

        launched = time.monotonic()
        port = self._port()
        max_images = max(32, images_needed(requests)) if self.client_settings.frames_as == "images" else None
        options = ServerOptions(self.model, HOST, port, self.settings.tensor_parallel_size,
                                self.settings.data_parallel_size, self.settings.gpu_memory_utilization,
                                self.settings.max_model_len, self.settings.dtype, self.settings.device,
                                self.settings.trust_remote_code, max_images, self.settings.server_args)
        command = self.launcher.command(options)
        public = public_command(command)
        version = self.launcher.version(command[:1])
        log_path = (self.log_dir or Path(tempfile.mkdtemp(prefix="rrbench-server-"))) / LOG_FILE
        self._facts = {"started": True, "launcher": self.launcher.name, "version": version, "command": public,
                       "host": HOST, "port": port, "log": str(log_path), "concurrency": self.client_settings.concurrency}
        _prepare_environment(self.launcher)
        _say(f"starting {self.launcher.display} {version or ''} on {HOST}:{port} for {self.model} (log: {log_path})")
        process = ServerProcess(self.launcher.display, command, public, port, log_path, self.settings.stop_timeout)
        self._process = process
        process.launch()
        deadline = launched + self.settings.startup_timeout
        process.wait_healthy(deadline, launched, _say)
        self._facts["healthy_seconds"] = round(time.monotonic() - launched, 3)
        process.warm_up(self.model, deadline)
        startup = time.monotonic() - launched
        self._facts["startup_seconds"] = round(startup, 3)
        _say(f"{self.launcher.display} is ready: {startup:.1f} s from launch to first request")
        settings = replace(self.client_settings, base_url=f"{process.base_url}/v1")
        self._client = OpenAIRewardModel(self.model, settings, api_key="EMPTY")

    def _port(self) -> int:
        if self.settings.port is None:
            return free_port()
        if port_in_use(self.settings.port):
            raise ModelError(f"{self.name}: port {self.settings.port} on {HOST} is already in use; free it, "
                             f"or omit port= and rrbench picks a free one")
        return self.settings.port


def _prepare_environment(launcher: Launcher) -> None:
    """``transformers serve`` lists models from the hub cache folder, which must exist."""
    if launcher.name != "transformers":
        return
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    Path(constants.HF_HUB_CACHE).mkdir(parents=True, exist_ok=True)


def _say(message: str) -> None:
    print(f"rrbench: {message}", file=sys.stderr, flush=True)
