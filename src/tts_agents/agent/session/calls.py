"""Round trips to the client: client tool calls and pings.

Both send an event with an id and match the client's answer to it: a tool result
completes the brain's pending call, a pong gives the round-trip time reported in the next
ping (``ping_ms``).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tts_agents.agent import protocol

Send = Callable[[dict[str, Any]], Awaitable[None]]
_KEPT_PINGS = 8


class ClientToolCalls:
    """Calls the client's tools for the brain and waits for their results."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._pending: dict[str, asyncio.Future[tuple[str, bool]]] = {}

    @property
    def pending(self) -> bool:
        """True while a call waits for its result."""
        return bool(self._pending)

    async def __call__(
        self, name: str, parameters: Mapping[str, Any], *, timeout: float
    ) -> tuple[str, bool]:
        """Run ``name`` on the client: ``(result, is_error)``; a timeout is an error result."""
        call_id = "toolu_" + secrets.token_hex(8)
        future: asyncio.Future[tuple[str, bool]] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            await self._send(protocol.client_tool_call(call_id, name, dict(parameters)))
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
            return f"the client did not return a result for {name} in time", True
        finally:
            self._pending.pop(call_id, None)

    def resolve(self, result: protocol.ClientToolResult) -> bool:
        """Complete the call ``result`` answers; False when no such call is pending."""
        future = self._pending.get(result.tool_call_id)
        if future is None or future.done():
            return False
        future.set_result((result.result, result.is_error))
        return True

    def cancel_all(self) -> None:
        """The session ends: nobody waits any more."""
        for future in self._pending.values():
            future.cancel()


class Pings:
    """Sends ``ping`` events and measures the round trip from the ``pong`` answers."""

    def __init__(self, send: Send, clock: Callable[[], float] = time.monotonic) -> None:
        self.round_trip_ms: int | None = None
        self._send = send
        self._clock = clock
        self._next_id = 0
        self._sent: dict[int, float] = {}

    async def ping(self) -> None:
        """Send the next ping, carrying the last measured round trip."""
        self._next_id += 1
        self._sent[self._next_id] = self._clock()
        while len(self._sent) > _KEPT_PINGS:  # unanswered pings are forgotten
            del self._sent[next(iter(self._sent))]
        await self._send(protocol.ping(self._next_id, self.round_trip_ms))

    def pong(self, event_id: int) -> None:
        """A pong arrived; unknown ids are ignored."""
        sent = self._sent.pop(event_id, None)
        if sent is not None:
            self.round_trip_ms = round((self._clock() - sent) * 1000)
