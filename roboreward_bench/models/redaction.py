"""Keep API keys out of error messages and logs.

A :class:`Redactor` knows the secrets of one backend and scrubs them (plus
anything shaped like a bearer token or a well-known key format) from text.
:meth:`Redactor.install_log_filter` registers the secrets with a log-record
factory, so every log record from any library (openai, httpx, …) is scrubbed
when it is created, before any handler can write it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

MASK = "[REDACTED]"
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)((?:api[_-]?key|authorization|x-goog-api-key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
)
_SECRETS: set[str] = set()
_INSTALL_LOCK = threading.Lock()
_INSTALLED = False


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and key-shaped strings masked."""
    for secret in sorted(set(secrets) | _SECRETS, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class Redactor:
    """Scrubs one backend's secrets from text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(s for s in secrets if s and len(s) >= 4)

    def __call__(self, text: str) -> str:
        return redact(text, self.secrets)

    def one_line(self, exc: BaseException, limit: int = 300) -> str:
        """``Type: message`` on one line, redacted and truncated."""
        message = " ".join(self(str(exc)).split())
        if len(message) > limit:
            message = message[:limit] + "…"
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__

    def install_log_filter(self) -> None:
        """Scrub these secrets from every log record created from now on."""
        _SECRETS.update(self.secrets)
        _install_record_factory()


def _install_record_factory() -> None:
    global _INSTALLED
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _SECRETS:
                try:
                    message = record.getMessage()
                except Exception:  # a malformed record is the logging module's business
                    return record
                cleaned = redact(message)
                if cleaned != message:
                    record.msg, record.args = cleaned, None
            return record

        logging.setLogRecordFactory(factory)
        _INSTALLED = True
