"""API keys: ``Authorization: Bearer <key>`` (OpenAI) or ``xi-api-key`` (ElevenLabs).

Every route but ``/health`` depends on :func:`require_key`. Keys are compared in constant
time against every configured key, so timing tells nothing about which one nearly matched.
A signed-in browser (see :mod:`tts_agents.server.browser_auth`) may call instead with its
session cookie plus the session's CSRF header; it never holds a key.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from tts_agents.server.browser_auth import connection_session
from tts_agents.server.errors import ApiProblem
from tts_agents.server.limits import RateLimiter
from tts_agents.server.settings import ServerSettings

ANONYMOUS = "-"


def presented_key(request: Request) -> str | None:
    """The key the caller sent, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("xi-api-key") or None


def key_is_valid(candidate: str, keys: tuple[str, ...]) -> bool:
    """Constant-time membership: every key is compared, whatever matches first."""
    given = candidate.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    return matched


async def require_key(request: Request) -> str:
    """FastAPI dependency: the caller's key, after the per-IP and per-key rate limits.

    A browser session (cookie plus CSRF header) is accepted in place of a key; its caller
    is then ``session:<id>``.
    """
    return authenticate(request, cookie_needs_csrf=True)


def authenticate(request: Request, *, cookie_needs_csrf: bool) -> str:
    """The caller (its key, or ``session:<id>``); 401 for anyone else.

    ``cookie_needs_csrf=False`` is only for pages a browser navigates to (``GET /docs``),
    which cannot carry a custom header.
    """
    settings: ServerSettings = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    limiter.check(f"ip:{client}", settings.requests_per_minute_per_ip)
    if not settings.auth:
        request.state.caller = None  # a loopback dev server: no per-key cap
        return ANONYMOUS
    key = presented_key(request)
    session = None if key else connection_session(request, csrf=cookie_needs_csrf)
    if session is not None:
        caller = f"session:{session.id}"
        limiter.check(caller, settings.requests_per_minute_per_key)
        request.state.caller = caller
        return caller
    if key is None or not key_is_valid(key, settings.api_keys):
        raise ApiProblem(
            401,
            "missing or invalid API key",
            code="invalid_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # Budgets are named by the key's id, so raw keys never reach the limiter's storage.
    caller = key_id(key)
    limiter.check(caller, settings.requests_per_minute_per_key)
    request.state.caller = caller
    return key


def key_id(key: str) -> str:
    """A key's stable, non-secret id (per-key caps, rate-limit budgets, logs): a short digest."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
