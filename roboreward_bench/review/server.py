"""The review page's HTTP server: standard library only, loopback by default.

Routes: ``/`` (the page), ``/assets/review.{js,css}``, ``GET /api/session``,
``GET /api/item/<i>``, ``POST /api/decision``, ``/video/<i>`` (the MP4, with
byte ranges so the player can seek) and ``/thumb/<i>/<k>.jpg``.

Defences for a server on the reviewer's machine: on a loopback address the
Host header must name the loopback (no DNS rebinding); decisions are
accepted only as ``application/json`` (a cross-site form cannot send that
without a CORS preflight, which is never granted); the page's
Content-Security-Policy allows nothing but its own files.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import re
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from roboreward_bench.errors import RRBenchError
from roboreward_bench.review.session import ReviewSession

ASSETS = Path(__file__).resolve().parent / "assets"
_STATIC = {"/assets/review.js": ("review.js", "text/javascript; charset=utf-8"),
           "/assets/review.css": ("review.css", "text/css; charset=utf-8")}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_MAX_BODY = 64 * 1024
_CHUNK = 256 * 1024
_ITEM = re.compile(r"^/api/item/(\d+)$")
_VIDEO = re.compile(r"^/video/(\d+)$")
_THUMB = re.compile(r"^/thumb/(\d+)/(\d+)\.jpg$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def is_loopback(host: str) -> bool:
    """True if every address ``host`` resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def render_page(title: str) -> bytes:
    """The page; the title is the only dataset text in it, escaped by Jinja's autoescape."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ASSETS), autoescape=True)
    return env.get_template("review.html.j2").render(title=title).encode("utf-8")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=a-b`` → (first, last) inclusive; None means the whole file; ValueError if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(header)
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError(header)
    return start, end


class ReviewServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one :class:`ReviewSession`."""

    daemon_threads = True

    def __init__(self, session: ReviewSession, host: str, port: int) -> None:
        self.session = session
        self.page = render_page(session.title)
        self.loopback = is_loopback(host)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), ReviewHandler)
        except OSError as exc:
            raise RRBenchError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                               "pass another --port, or --port 0 for any free one") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


class ReviewHandler(BaseHTTPRequestHandler):
    """Serves the page, its API, the videos and the thumbnails."""

    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "rrbench-review"

    def log_message(self, format: str, *args: Any) -> None:  # requests are not logged; decisions are
        pass

    def do_GET(self) -> None:
        if not self._host_allowed():
            return
        path = self.path.split("?", 1)[0]
        session = self.server.session
        try:
            if path == "/":
                self._send(200, self.server.page, "text/html; charset=utf-8")
            elif path in _STATIC:
                name, kind = _STATIC[path]
                self._send(200, (ASSETS / name).read_bytes(), kind)
            elif path == "/api/session":
                self._json(200, session.describe())
            elif match := _ITEM.match(path):
                self._json(200, session.item(int(match.group(1))))
            elif match := _VIDEO.match(path):
                self._video(session.video_path(int(match.group(1))))
            elif match := _THUMB.match(path):
                self._send(200, session.thumbnail(int(match.group(1)), int(match.group(2))), "image/jpeg",
                           cache=True)
            else:
                self._json(404, {"error": "not found"})
        except IndexError:
            self._json(404, {"error": "no such item"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self) -> None:
        if not self._host_allowed():
            return
        if self.path != "/api/decision":
            self._json(404, {"error": "not found"})
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._json(415, {"error": "decisions are sent as application/json"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= _MAX_BODY:
            self._json(413, {"error": "body missing or too large"})
            return
        try:
            body = json.loads(self.rfile.read(length))
            index = int(body["index"])
            record = self.server.session.decide(index, str(body["decision"]), body.get("label"),
                                                str(body.get("note") or ""))
        except IndexError:
            self._json(404, {"error": "no such item"})
            return
        except (ValueError, KeyError, TypeError) as exc:
            self._json(400, {"error": f"bad decision: {exc}"})
            return
        session = self.server.session
        label = f" {record.corrected_label}" if record.corrected_label else ""
        print(f"{record.decision}{label}: {record.item_id}", flush=True)
        self._json(200, {"saved": record.to_json(), "reviewed": session.reviewed_count(),
                         "next": session.next_pending(index)})

    def _host_allowed(self) -> bool:
        if not self.server.loopback:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
            return True
        self._json(403, {"error": "this review server answers only on its loopback address"})
        return False

    def _video(self, path: Path) -> None:
        if not path.is_file():
            self._json(404, {"error": "video file not found"})
            return
        size = path.stat().st_size
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            span = parse_range(self.headers.get("Range"), size)
        except ValueError:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        first, last = span if span else (0, size - 1)
        self.send_response(206 if span else 200)
        self.send_header("Content-Type", kind)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(last - first + 1))
        if span:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with open(path, "rb") as handle:
            handle.seek(first)
            remaining = last - first + 1
            while remaining > 0:
                block = handle.read(min(_CHUNK, remaining))
                if not block:
                    break
                self.wfile.write(block)
                remaining -= len(block)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

    def _send(self, status: int, body: bytes, kind: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)
