"""The synthesis gate: how many syntheses run and wait at once, in total and per key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tts_agents.server.errors import ApiProblem


class SynthesisGate:
    """At most ``concurrent`` syntheses at once and ``queue`` waiting; the rest get 503.

    One caller (a key's id) may hold or wait for at most ``per_caller`` of them (429
    beyond), so a single key cannot take every slot.
    """

    def __init__(
        self, concurrent: int, queue: int, retry_after: int, per_caller: int | None = None
    ) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._queue = queue
        self._waiting = 0
        self._retry_after = retry_after
        self._per_caller = per_caller
        self._held: dict[str, int] = {}

    @property
    def busy(self) -> bool:
        """True when every slot is taken."""
        return self._slots.locked()

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return self._waiting

    @asynccontextmanager
    async def slot(self, caller: str | None = None) -> AsyncIterator[None]:
        """Hold a synthesis slot for the block (counted against ``caller``, when given)."""
        if caller is None or self._per_caller is None:
            async with self._slot():
                yield
            return
        if self._held.get(caller, 0) >= self._per_caller:
            raise ApiProblem(
                429,
                f"at most {self._per_caller} concurrent streams per key; retry when one ends",
                code="too_many_streams",
                headers={"Retry-After": str(self._retry_after)},
            )
        self._held[caller] = self._held.get(caller, 0) + 1
        try:
            async with self._slot():
                yield
        finally:
            self._held[caller] -= 1
            if not self._held[caller]:
                del self._held[caller]

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self._queue:
            raise ApiProblem(
                503,
                "server busy; retry later",
                code="server_busy",
                headers={"Retry-After": str(self._retry_after)},
            )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
