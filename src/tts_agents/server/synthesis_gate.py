"""The synthesis gate: how many syntheses run and wait at once, in total and per key."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tts_agents.server.errors import ApiProblem


class SynthesisGate:
    """At most ``concurrent`` syntheses at once and ``queue`` waiting; the rest get 503.

    One caller (a key's id) may hold or wait for at most ``per_caller`` of them (429
    beyond), so a single key cannot take every slot. Free slots go to the waiting callers
    in turn, not first come first served: a key with many requests queued (say, streams
    to clients that stopped reading, each holding a slot until the send timeout) cannot
    make another key wait behind all of them.
    """

    def __init__(
        self, concurrent: int, queue: int, retry_after: int, per_caller: int | None = None
    ) -> None:
        self._free = concurrent
        self._queue = queue
        self._retry_after = retry_after
        self._per_caller = per_caller
        self._held: dict[str, int] = {}
        # Waiters by caller; dict order is the turn order (a served caller goes last).
        self._waiters: dict[str | None, deque[asyncio.Future[None]]] = {}

    @property
    def busy(self) -> bool:
        """True when every slot is taken."""
        return self._free == 0

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return sum(len(waiters) for waiters in self._waiters.values())

    @asynccontextmanager
    async def slot(self, caller: str | None = None) -> AsyncIterator[None]:
        """Hold a synthesis slot for the block (counted against ``caller``, when given)."""
        if caller is None or self._per_caller is None:
            async with self._slot(caller):
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
            async with self._slot(caller):
                yield
        finally:
            self._held[caller] -= 1
            if not self._held[caller]:
                del self._held[caller]

    @asynccontextmanager
    async def _slot(self, caller: str | None) -> AsyncIterator[None]:
        if self._free and not self._waiters:
            self._free -= 1
        else:
            if self.waiting >= self._queue:
                raise ApiProblem(
                    503,
                    "server busy; retry later",
                    code="server_busy",
                    headers={"Retry-After": str(self._retry_after)},
                )
            await self._wait_turn(caller)
        try:
            yield
        finally:
            self._release()

    async def _wait_turn(self, caller: str | None) -> None:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(caller, deque())
        waiters.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # the slot came as the waiter left: pass it on
            else:
                waiters.remove(turn)
                if not waiters and self._waiters.get(caller) is waiters:
                    del self._waiters[caller]
            raise

    def _release(self) -> None:
        """Give the slot to the next caller in turn, or free it."""
        while self._waiters:
            caller, waiters = next(iter(self._waiters.items()))
            turn = waiters.popleft()
            del self._waiters[caller]
            if waiters:
                self._waiters[caller] = waiters  # to the back of the line
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1
