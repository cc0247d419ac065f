"""Surviving real networks: retry timing, client-side rate limits, a circuit breaker.

Each piece is one small class with no knowledge of HTTP, so each is tested on its own:

- :class:`RetryPolicy` says how long to wait before the next attempt (exponential backoff
  with full jitter, or the provider's ``Retry-After``) and when to give up;
- :class:`RateLimiter` spaces requests to one provider (``rate_limit_delay``), caps how many
  are in flight and, optionally, how many start per minute;
- :class:`CircuitBreaker` stops calling a provider that keeps failing, then lets one probe
  through after a cool-down.

:func:`provider_guard` hands out one limiter and breaker per provider and event loop, so
every engine talking to the same provider shares them.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Literal

Clock = Callable[[], float]
CircuitState = Literal["closed", "open", "half_open"]

_JITTER = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try again, and when to stop.

    Backoff is "full jitter": a uniform wait in ``[0, min(max_delay, base_delay * 2**n))``,
    which spreads clients apart after a shared outage. A provider's ``Retry-After`` is
    honoured exactly, unless it asks for more than ``max_retry_after`` (then we give up and
    let the caller, or the fallback chain, decide).
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based), or None to give up."""
        if retry >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return _JITTER.uniform(0.0, min(self.max_delay, self.base_delay * 2**retry))


def parse_retry_after(headers: dict[str, str], now: float | None = None) -> float | None:
    """Seconds the provider asked us to wait (``retry-after-ms``, ``retry-after``), or None.

    ``retry-after`` may be a number of seconds or an HTTP date; ``headers`` keys are
    lower case. Nonsense values are ignored rather than trusted.
    """
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    if number is None or number != number or number < 0 or number == float("inf"):
        return None
    return number


class RateLimiter:
    """Client-side limits for one provider, shared by every request to it.

    ``min_interval`` seconds between request starts, at most ``max_concurrent`` in flight,
    and when ``per_minute`` is set no more than that many starts in any 60 s window. Use
    :meth:`slot` around the whole request, including reading the response.
    """

    def __init__(
        self,
        *,
        min_interval: float = 0.0,
        max_concurrent: int = 4,
        per_minute: int | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.max_concurrent = max_concurrent
        self.per_minute = per_minute
        self._clock = clock
        self._slots = asyncio.Semaphore(max_concurrent)
        self._turn = asyncio.Lock()
        self._last_start: float | None = None
        self._starts: deque[float] = deque()
        self.in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a free slot and this provider's next turn; hold the slot while inside."""
        async with self._slots:
            async with self._turn:
                await asyncio.sleep(self._wait())
                self._record_start()
            self.in_flight += 1
            try:
                yield
            finally:
                self.in_flight -= 1

    def _wait(self) -> float:
        now = self._clock()
        wait = 0.0
        if self._last_start is not None:
            wait = self._last_start + self.min_interval - now
        if self.per_minute is not None:
            while self._starts and self._starts[0] <= now - 60.0:
                self._starts.popleft()
            if len(self._starts) >= self.per_minute:
                wait = max(wait, self._starts[0] + 60.0 - now)
        return max(0.0, wait)

    def _record_start(self) -> None:
        now = self._clock()
        self._last_start = now
        if self.per_minute is not None:
            self._starts.append(now)


class CircuitBreaker:
    """Fail fast while a provider is down.

    After ``failure_threshold`` failures in a row the circuit opens: requests are refused
    without touching the network for ``reset_timeout`` seconds. Then it is half-open: one
    probe may go; its success closes the circuit, its failure opens it again.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self.failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        """``closed`` (normal), ``open`` (refusing) or ``half_open`` (one probe allowed)."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_timeout:
            return "half_open"
        return "open"

    def acquire(self) -> float | None:
        """None when a request may go now; else the seconds until the next probe."""
        state = self.state
        if state == "closed":
            return None
        if state == "half_open" and not self._probing:
            self._probing = True
            return None
        opened_at = self._opened_at if self._opened_at is not None else self._clock()
        return max(0.0, opened_at + self.reset_timeout - self._clock())

    def record_success(self) -> None:
        """The provider answered: close the circuit."""
        self.failures = 0
        self._opened_at = None
        self._probing = False

    def abandon(self) -> None:
        """A request ended without a verdict (cancelled): let another probe go."""
        self._probing = False

    def record_failure(self) -> None:
        """The provider failed (5xx, timeout, connection): count it, maybe open."""
        self.failures += 1
        if self._probing or self.failures >= self.failure_threshold:
            self._opened_at = self._clock()
        self._probing = False


@dataclass
class ProviderGuard:
    """The limiter and breaker every request to one provider goes through."""

    limiter: RateLimiter | None
    breaker: CircuitBreaker
    key: str = field(default="")


_GUARDS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, ProviderGuard]] = (
    weakref.WeakKeyDictionary()
)


def provider_guard(key: str, make: Callable[[], ProviderGuard]) -> ProviderGuard:
    """The guard for ``key`` (provider and origin) in the running event loop.

    asyncio locks belong to one loop, so guards are kept per loop; the first caller's
    settings win for a key.
    """
    guards = _GUARDS.setdefault(asyncio.get_running_loop(), {})
    guard = guards.get(key)
    if guard is None:
        guard = guards[key] = make()
        guard.key = key
    return guard


__all__ = [
    "CircuitBreaker",
    "CircuitState",
    "ProviderGuard",
    "RateLimiter",
    "RetryPolicy",
    "parse_retry_after",
    "provider_guard",
]
