"""A small real OpenAI-compatible HTTP server on 127.0.0.1, for retry/timeout/concurrency tests.

It answers ``POST /v1/chat/completions``. Each incoming request takes the next
:class:`Reply` from a plan (then the default reply): a status code, a delay,
headers and a body. It records every request (headers and JSON body) and the
largest number of requests it had in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """One scripted answer. ``body`` may be a callable of the request headers."""

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    text: str = "ANSWER: 4"
    logprobs: Any = None


@dataclass
class Seen:
    headers: dict[str, str]
    body: dict[str, Any]


class LoopbackServer:
    """Start with ``with LoopbackServer() as server:``; ``server.base_url`` ends in /v1."""

    def __init__(self, default: Reply | None = None, plan: list[Reply] | None = None) -> None:
        self.default = default or Reply()
        self.plan = list(plan or [])
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self) -> Reply:
        with self._lock:
            return self.plan.pop(0) if self.plan else self.default

    def _enter(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server._enter(Seen(dict(self.headers.items()), body))
                try:
                    reply = server.next_reply()
                    if reply.delay:
                        time.sleep(reply.delay)
                    payload = reply.body(dict(self.headers.items())) if callable(reply.body) else reply.body
                    if payload is None:
                        payload = completion(body.get("model", "m"), reply.text, logprobs=reply.logprobs)
                    data = json.dumps(payload).encode()
                    try:
                        self.send_response(reply.status)
                        for key, value in reply.headers.items():
                            self.send_header(key, value)
                        self.send_header("content-type", "application/json")
                        self.send_header("content-length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                        pass
                finally:
                    server._leave()

        return Handler


def completion(model: str, text: str | None, prompt_tokens: int = 10, completion_tokens: int = 3,
               logprobs: Any = None) -> dict:
    """A chat.completion body in the OpenAI shape."""
    return {"id": "cmpl-test", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": logprobs,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def error_body(message: str) -> dict:
    return {"error": {"message": message, "type": "server_error", "code": None}}


EchoAuth = Callable[[dict], dict]


def echo_authorization(headers: dict) -> dict:
    """An error body that (like some careless proxies) echoes the Authorization header back."""
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    return error_body(f"invalid credentials: {auth}")
