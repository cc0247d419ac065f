"""Limits that keep one caller from taking the server: rates, concurrency, body size."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tts_agents.server.errors import ApiProblem, error_response
from tts_agents.server.shared_state import RedisStore, SharedState

logger = logging.getLogger("tts_agents.server")
STORAGE_WARNING_INTERVAL = 60.0


class RateLimiter:
    """Budgets per name (``ip:...``, ``key:...``) a minute, on the ``limits`` library.

    A sliding-window counter: the whole budget is there at once, and what was spent in
    the previous minute weighs less as that minute recedes. Counters live in ``storage``:
    this process's memory by default, Redis (see :meth:`sharing`) so that replicas behind
    one load balancer share them. When the storage fails, requests pass (and a warning is
    logged): an outage of the counters' store must not take the API down with it.
    """

    def __init__(self, storage: MemoryStorage | RedisStorage | None = None) -> None:
        self._storage = storage or MemoryStorage()
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._warned_at = -math.inf

    @classmethod
    def sharing(cls, state: SharedState) -> RateLimiter:
        """A limiter whose counters live where ``state`` does (Redis, or this process)."""
        if not isinstance(state, RedisStore):
            return cls()
        pool = state.client.connection_pool
        prefix = "tts_agents:limits"
        return cls(RedisStorage("redis://", pool, key_prefix=prefix, wrap_exceptions=True))

    def check(self, name: str, per_minute: int, cost: int = 1) -> None:
        """Take ``cost`` from ``name``'s budget or raise 429 with the seconds to wait.

        A cost above the whole budget takes the whole budget: a large request still runs
        on a full budget, and then waits for it to refill.
        """
        item, cost = _per_minute(per_minute), min(cost, per_minute)
        if not self._safely(lambda: self._strategy.hit(item, name, cost=cost)):
            self._refuse(item, name, cost)

    def check_room(self, name: str, per_minute: int) -> None:
        """Raise 429 when ``name``'s budget is spent; take nothing."""
        item = _per_minute(per_minute)
        if not self._safely(lambda: self._strategy.test(item, name)):
            self._refuse(item, name, 1)

    def spend(self, name: str, per_minute: int, amount: int) -> None:
        """Take up to ``amount`` from ``name``'s budget, never refusing (a cost known after)."""
        item = _per_minute(per_minute)

        def take() -> bool:
            room = self._strategy.get_window_stats(item, name).remaining
            return room > 0 and self._strategy.hit(item, name, cost=min(amount, room))

        if amount > 0:
            self._safely(take)

    def _refuse(self, item: RateLimitItem, name: str, cost: int) -> None:
        window = item.get_expiry()
        try:
            counts = self._storage.get_sliding_window(item.key_for(name), window)
        except StorageError:
            wait = 1.0
        else:
            wait = seconds_until_room(counts, window, item.amount, cost)
        raise ApiProblem(
            429,
            "rate limit exceeded; retry later",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(max(math.ceil(wait), 1))},
        )

    def _safely(self, action: Callable[[], bool]) -> bool:
        try:
            return action()
        except StorageError as exc:
            now = time.monotonic()
            if now - self._warned_at >= STORAGE_WARNING_INTERVAL:  # not once per request
                self._warned_at = now
                failure = type(exc.storage_error).__name__
                logger.warning("rate limits are off: their storage failed (%s)", failure)
            return True


def seconds_until_room(
    counts: tuple[int, float, int, float], window: int, limit: int, cost: int
) -> float:
    """How long until a sliding-window counter takes ``cost`` more, nobody else spending.

    ``counts`` are the storage's (previous count, previous TTL, current count, current
    TTL); the weighted count, ``previous * (share of the previous window still in view) +
    current``, must fall below ``limit - cost + 1``.
    """
    previous, previous_ttl, current, current_ttl = counts
    to_window_end = current_ttl - window if current_ttl > window else previous_ttl
    allowed = limit - cost + 1
    if current < allowed:  # room comes as the previous window fades from view
        return max(0.0, to_window_end - window * (allowed - current) / previous) if previous else 0
    # This window's count becomes the previous one, then fades in turn.
    return to_window_end + window * (1 - allowed / current)


@lru_cache(maxsize=64)
def _per_minute(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount, namespace="tts_agents")


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
