"""Keep secrets out of logs: redact anything shaped like an API key.

Two nets catch a key. Keys the library is given are registered with
:func:`register_secret` and removed verbatim wherever they appear; anything else that looks
like a credential (``sk-...``, ``sk_...``, ``Bearer ...``, ``xi-api-key: ...``, long opaque
tokens) is removed by pattern. :class:`RedactingFilter` applies both to every log record,
including its arguments, exception text and stack. Importing this module installs the filter
on the ``tts_agents`` logger and on httpx's loggers.

A logging filter only sees records logged on the logger it is attached to, not those of
child loggers, so library modules get their loggers from :func:`get_logger`.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[REDACTED]"

_MIN_SECRET_LENGTH = 6

_PATTERNS = (
    # OpenAI keys (sk-..., sk-proj-...), including the masked form providers echo back.
    re.compile(r"\bsk-[A-Za-z0-9_\-*]{3,}"),
    # ElevenLabs keys (sk_ + hex) and other underscore-prefixed secret keys.
    re.compile(r"\bsk_[A-Za-z0-9]{8,}"),
    # Credentials after a header or parameter name (also in URL query strings); the name
    # itself is kept.
    re.compile(
        r"(?i)(\bbearer\s+|\b(?:xi[-_]api[-_]key|api[_-]?key|authorization|"
        r"access[_-]?token|token|secret|signature|conversation_signature|login)"
        r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)[^\s\"',;}&]+"
    ),
    # Legacy 32-hex ElevenLabs keys and long opaque tokens of any provider.
    re.compile(r"\b[a-fA-F0-9]{32}\b"),
    re.compile(r"\b(?=[A-Za-z_\-]*\d)(?=[\d_\-]*[A-Za-z])[A-Za-z0-9_\-]{40,}\b"),
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so it is redacted verbatim wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and key-shaped strings replaced by ``[REDACTED]``."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_replacement, text)
    return text


def _replacement(match: re.Match[str]) -> str:
    prefix = match.group(1) if match.re.groups else ""
    return f"{prefix}{REDACTED}"


class RedactingFilter(logging.Filter):
    """Rewrite each record so its message, exception and stack hold no secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep only its template
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        redact_traces(record)
        return True


_TRACE_FORMATTER = logging.Formatter()


def redact_traces(record: logging.LogRecord) -> None:
    """Redact a record's exception text and stack in place (formatting the exception now)."""
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACE_FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_FILTER = RedactingFilter()

#: Loggers that may see request details: ours and httpx's (each httpcore child by name).
PROTECTED_LOGGERS = (
    "tts_agents",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redacting filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def install(names: tuple[str, ...] = PROTECTED_LOGGERS) -> None:
    """Attach the redacting filter to each named logger (idempotent)."""
    for name in names:
        get_logger(name)


install()

__all__ = [
    "PROTECTED_LOGGERS",
    "REDACTED",
    "RedactingFilter",
    "get_logger",
    "install",
    "redact",
    "redact_traces",
    "register_secret",
]
