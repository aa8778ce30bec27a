"""Keep secrets out of everything rrbench writes: outputs, error messages and logs.

A :class:`Redactor` knows the secrets of one backend and scrubs them (plus
anything shaped like a bearer token or a well-known key format) from text.
:meth:`Redactor.install_log_filter` registers the secrets with a log-record
factory, so every log record from any library (openai, httpx, …) is scrubbed
when it is created, before any handler can write it.

Beyond known secrets, :func:`redact` masks the classes of secret that need no
registration: URL user-info (``http://user:pass@host``), query parameters
named like credentials (``?token=…``, ``&api_key=…``, ``&sig=…``), and
:func:`redact_data` masks the value of any mapping key named like
``*key*``/``*token*``/``*secret*``/``*password*`` (``*_env`` names, which hold
a variable's *name*, stay). results.json, run.json, predictions, the leaderboard
submission copy and the CLI's error line all pass through these.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Iterable

MASK = "[REDACTED]"
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]{8,}"),  # HTTP basic auth: base64 of user:password
    re.compile(r"(?i)((?:api[_-]?key|authorization|x-goog-api-key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
)
# A mapping key or query parameter whose value is a credential: *key*, *token*, *secret*, *password* …
_SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw(or)?d|passwd|pwd|credential|authorization|signature)")
# … except names that only look like one: a variable's *name*, token counts and ids, tokenizers, keyframes.
_HARMLESS_NAME = re.compile(r"(?i)(_env$|tokens$|tokens_param$|token_ids?$|^tokenizer|keyframe|^key_?frames?$)")
_QUERY_ONLY_NAMES = {"sig", "auth", "code", "access", "x-amz-security-token"}
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@'\"?#]+)@")
_QUERY_PARAM = re.compile(r"([?&;])([^=&#\s'\"?]+)=([^&#\s'\"]+)")
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
    text = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    return _QUERY_PARAM.sub(_mask_query_value, text)


def _mask_query_value(match: re.Match) -> str:
    lead, name, value = match.groups()
    secret = is_secret_name(name) or name.lower() in _QUERY_ONLY_NAMES
    return f"{lead}{name}={MASK if secret and value != MASK else value}"


def is_secret_name(name: str) -> bool:
    """Whether a setting or field called ``name`` holds a credential (``*_env`` names hold a variable's name)."""
    return bool(_SECRET_NAME.search(name)) and not _HARMLESS_NAME.search(name)


def redact_data(value: Any, by_name: bool = True) -> Any:
    """A copy of JSON-like data with every string redacted and, with ``by_name``, the string values of
    secret-named keys masked (use it on settings such as model args, not on rrbench's own fields)."""
    if isinstance(value, dict):
        return {k: (MASK if by_name and isinstance(k, str) and is_secret_name(k) and isinstance(v, str)
                    and v not in ("", MASK) else redact_data(v, by_name))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v, by_name) for v in value]
    return redact(value) if isinstance(value, str) else value


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


def install_log_redaction() -> None:
    """Scrub URL credentials, query tokens and key-shaped strings from every log record from now on."""
    _install_record_factory()


def _install_record_factory() -> None:
    global _INSTALLED
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            # Every record, even with no registered secret: URL user-info and query tokens need none.
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
