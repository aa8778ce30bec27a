"""The inference servers rrbench can start: vLLM, SGLang and ``transformers serve``.

A :class:`Launcher` knows how to find its server on this machine, report its
version, and build the command line that serves one model on a loopback port
with the parallelism and memory settings given in ``--model-args``. Nothing
here starts a process; :mod:`roboreward_bench.models.managed_server` does.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from roboreward_bench.errors import ModelError
from roboreward_bench.models.redaction import MASK, redact

_SECRET_FLAG = re.compile(r"(?i)(key|token|secret|password|passwd)$")  # flag names ending so: --api-key, --hf-token


@dataclass(frozen=True)
class ServerOptions:
    """What the command line is built from (checked settings, see ``ManagedSettings``)."""

    model: str
    host: str
    port: int
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float | None = None
    max_model_len: int | None = None
    dtype: str | None = None
    device: str | None = None
    trust_remote_code: bool = False
    max_images: int | None = None
    server_args: str | None = None


@dataclass(frozen=True)
class Launcher:
    """One kind of server: how to find it, its version, its command, its concurrency."""

    name: str
    package: str
    display: str
    concurrency: int
    install_hint: str
    build: Callable[["Launcher", ServerOptions], list[str]]

    def executable(self) -> list[str] | None:
        """The command prefix that starts this server here, or None if it is not installed."""
        if self.name == "sglang":
            return [sys.executable, "-m", "sglang.launch_server"] if importlib.util.find_spec("sglang") else None
        binary = _binary(self.name if self.name != "transformers" else "transformers")
        return [binary] if binary else None

    def require(self) -> list[str]:
        """:meth:`executable`, or a one-line ModelError saying how to install it or what to use instead."""
        prefix = self.executable()
        if prefix is None:
            raise ModelError(f"{self.display} is not installed here: {self.install_hint}; or start the server "
                             f"yourself and use --model openai:<served model> --model-args base_url=http://HOST:PORT/v1")
        if self.name == "transformers" and importlib.util.find_spec("fastapi") is None:
            raise ModelError("transformers serve needs its serving extra: pip install 'transformers[serving]'")
        return prefix

    def version(self, prefix: list[str]) -> str | None:
        """The installed version: from package metadata, else from ``<cmd> --version``."""
        try:
            return metadata.version(self.package)
        except metadata.PackageNotFoundError:
            pass
        try:
            out = subprocess.run([*prefix, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = re.search(r"\d+\.\d+[\w.+-]*", out.stdout + out.stderr)
        return match.group(0) if match else None

    def command(self, options: ServerOptions) -> list[str]:
        """The full command line that serves ``options.model`` on ``options.host:options.port``."""
        return [*self.require(), *self.build(self, options), *shlex.split(options.server_args or "")]


def _binary(name: str) -> str | None:
    """``name`` next to this interpreter (an unactivated venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def _vllm(launcher: Launcher, o: ServerOptions) -> list[str]:
    args = ["serve", o.model, "--host", o.host, "--port", str(o.port),
            "--tensor-parallel-size", str(o.tensor_parallel_size), "--data-parallel-size", str(o.data_parallel_size)]
    if o.gpu_memory_utilization is not None:
        args += ["--gpu-memory-utilization", str(o.gpu_memory_utilization)]
    if o.max_model_len is not None:
        args += ["--max-model-len", str(o.max_model_len)]
    if o.dtype:
        args += ["--dtype", o.dtype]
    if o.trust_remote_code:
        args.append("--trust-remote-code")
    if o.max_images:  # vLLM caps images per prompt; a rubric request sends one image per frame
        args += ["--limit-mm-per-prompt", f'{{"image": {o.max_images}, "video": 1}}']
    return args


def _sglang(launcher: Launcher, o: ServerOptions) -> list[str]:
    args = ["--model-path", o.model, "--host", o.host, "--port", str(o.port),
            "--tp-size", str(o.tensor_parallel_size), "--dp-size", str(o.data_parallel_size)]
    if o.gpu_memory_utilization is not None:
        args += ["--mem-fraction-static", str(o.gpu_memory_utilization)]
    if o.max_model_len is not None:
        args += ["--context-length", str(o.max_model_len)]
    if o.dtype:
        args += ["--dtype", o.dtype]
    if o.trust_remote_code:
        args.append("--trust-remote-code")
    return args


def _transformers(launcher: Launcher, o: ServerOptions) -> list[str]:
    if o.tensor_parallel_size != 1 or o.data_parallel_size != 1:
        raise ModelError("launcher=transformers serves one model replica on one device; use launcher=vllm or "
                         "launcher=sglang for tensor_parallel_size / data_parallel_size")
    args = ["serve", o.model, "--host", o.host, "--port", str(o.port), "--device", o.device or "auto"]
    if o.dtype:
        args += ["--dtype", o.dtype]
    if o.trust_remote_code:
        args.append("--trust-remote-code")
    return args


LAUNCHERS: dict[str, Launcher] = {
    "vllm": Launcher("vllm", "vllm", "vLLM", 64, "pip install vllm (Linux with a CUDA GPU)", _vllm),
    "sglang": Launcher("sglang", "sglang", "SGLang", 64, "pip install 'sglang[all]' (Linux with a CUDA GPU)",
                       _sglang),
    # transformers serve answers one request at a time without continuous batching; two in flight keep it busy.
    "transformers": Launcher("transformers", "transformers", "transformers serve", 2,
                             "pip install 'transformers[serving]'", _transformers),
}


def public_command(command: list[str], secrets: tuple[str, ...] = ()) -> list[str]:
    """``command`` with the value of every key/token/secret/password flag and key-shaped text masked."""
    out: list[str] = []
    hide_next = False
    for arg in command:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if arg.startswith("-") and _SECRET_FLAG.search(flag):
            if eq:
                out.append(f"{flag}={MASK}")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(redact(arg, secrets))
    return out
