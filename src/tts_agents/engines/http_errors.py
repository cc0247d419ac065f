"""Provider failures translated into TTS Agents errors, in one place.

Three kinds of failure reach a cloud engine: httpx raises (timeouts, broken connections),
the provider answers with an error status, or it answers 2xx with something that is not
what was asked for. Each becomes one of our errors, whose ``retryable`` flag is all the
retry loop looks at. Messages are safe to show: status, the provider's error code and a
short, redacted excerpt of its message; never a request header, never a key.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tts_agents.errors import (
    TTSAgentError,
    TTSAPIError,
    TTSRateLimitError,
    TTSTimeoutError,
    TTSUnavailableError,
)
from tts_agents.redact import redact

_MAX_MESSAGE = 200
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl")


def translate(exc: BaseException, provider: str, action: str) -> TTSAgentError:
    """Our error for an httpx (or asyncio timeout) exception raised while ``action``."""
    what = f"{provider}: {action} failed"
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError):
        return TTSTimeoutError(f"{what}: no answer within the timeout ({type(exc).__name__})")
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        return TTSUnavailableError(f"{what}: {_short(str(exc)) or type(exc).__name__}")
    return TTSAPIError(f"{what}: {type(exc).__name__}")


@contextmanager
def mapped_errors(provider: str, action: str) -> Iterator[None]:
    """Re-raise httpx errors raised inside the block as ours (``raise ... from exc``)."""
    try:
        yield
    except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, asyncio.TimeoutError) as exc:
        raise translate(exc, provider, action) from exc


def error_for_status(
    provider: str,
    status: int,
    body: bytes,
    *,
    retry_after: float | None = None,
    key_hint: str | None = None,
) -> TTSAPIError:
    """The error for a provider's non-2xx answer, with a safe summary of its body.

    408, 429 and 5xx are retryable; every other status is permanent.
    """
    code, message = summarize_error_body(body)
    text = f"{provider}: HTTP {status}"
    text += f" {code}" if code else ""
    text += f": {message}" if message else ""
    if status in (401, 403) and key_hint:
        text += f" (check {key_hint})"
    if 300 <= status < 400:
        text += " (redirects are not followed)"
    if status == 429:
        return TTSRateLimitError(text, retry_after=retry_after)
    if status == 408:
        return TTSTimeoutError(text, status_code=status)
    if status >= 500:
        return TTSUnavailableError(text, status_code=status)
    return TTSAPIError(text, status_code=status)


def summarize_error_body(body: bytes) -> tuple[str | None, str]:
    """The provider's error code (if any) and a short redacted message from an error body.

    Understands OpenAI's ``{"error": {...}}``, ElevenLabs' ``{"detail": {...}}`` and
    FastAPI's ``{"detail": [{"msg": ...}]}``; plain text is shortened; HTML is dropped.
    """
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return None, "" if text.lstrip().startswith("<") else _short(text)
    if not isinstance(data, dict):
        return None, ""
    detail = data.get("error", data.get("detail", data))
    if isinstance(detail, list) and detail:
        detail = detail[0]
    if isinstance(detail, str):
        return None, _short(detail)
    if not isinstance(detail, dict):
        return None, ""
    codes = (detail.get(key) for key in ("code", "status", "type"))
    code = next((c for c in codes if isinstance(c, str) and _CODE.match(c)), None)
    message = detail.get("message") or detail.get("msg") or ""
    return code, _short(str(message))


def content_type_problem(expect: str, content_type: str) -> str | None:
    """Why a 2xx answer's ``Content-Type`` is not the ``expect`` kind ("audio"/"json")."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media:
        return None
    wrong = (
        media.startswith("text/") or media in _JSON_TYPES
        if expect == "audio"
        else media.startswith(("audio/", "text/html", "image/", "video/"))
    )
    return f"expected {expect} but the response was {_short(media, 60)}" if wrong else None


def _short(text: str, limit: int = _MAX_MESSAGE) -> str:
    """One line, at most ``limit`` characters, with secrets redacted."""
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


__all__ = [
    "content_type_problem",
    "error_for_status",
    "mapped_errors",
    "summarize_error_body",
    "translate",
]
