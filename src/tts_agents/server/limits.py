"""Limits that keep one caller from taking the server: rates, concurrency, body size."""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tts_agents.server.errors import ApiProblem, error_response


class RateLimiter:
    """Token buckets per name (``ip:...``, ``key:...``): ``rate`` requests a minute, bursty.

    In-process state: behind several replicas each one limits on its own. The table is
    bounded: past ``max_names`` the oldest entries go (a fresh bucket is a full one).
    """

    def __init__(self, clock: Any = time.monotonic, max_names: int = 100_000) -> None:
        self._clock = clock
        self._max_names = max_names
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, name: str, per_minute: int) -> None:
        """Take a token for ``name`` or raise 429 with the seconds until the next one."""
        now = self._clock()
        capacity = float(per_minute)
        tokens, last = self._buckets.get(name, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * per_minute / 60.0)
        if tokens < 1.0:
            self._buckets[name] = (tokens, now)
            wait = math.ceil((1.0 - tokens) * 60.0 / per_minute)
            raise ApiProblem(
                429,
                "rate limit exceeded; retry later",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(max(wait, 1))},
            )
        self._buckets.pop(name, None)  # re-insert: dict order is least recently used first
        self._buckets[name] = (tokens - 1.0, now)
        while len(self._buckets) > self._max_names:
            del self._buckets[next(iter(self._buckets))]


class BodyLimitMiddleware:
    """Pure ASGI: refuse request bodies over ``max_bytes`` with 413.

    Paths in ``uploads`` (audio files to transcribe) may send ``upload_bytes`` instead.
    A declared ``Content-Length`` is checked up front (the HTTP server holds the client to
    it); a chunked body is read up to the limit first, then replayed to the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        upload_bytes: int = 0,
        uploads: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413 when its body is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"] in self.uploads else self.max_bytes
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _too_large(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        buffered = await self._read_body(receive, limit)
        if buffered is None:
            await _too_large(scope, receive, send, limit)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive, limit: int) -> list[Message] | None:
        """The request's messages, or None once they pass the limit."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > limit:
                return None
            if not message.get("more_body", False):
                return messages


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    problem = ApiProblem(
        413, f"request body too large (at most {limit} bytes)", code="body_too_large"
    )
    await error_response(Request(scope), problem)(scope, receive, send)
