"""Run a synthesis for an HTTP response: hold a slot, surface early errors, stop on disconnect.

The first item is produced before the response starts, so a bad voice or a failing engine
still gets a proper error status; the rest streams. When the client goes away, the server
cancels the response task, and the ``finally`` here closes the synthesis and frees the slot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, aclosing
from typing import TypeVar

from tts_agents.server.synthesis_gate import SynthesisGate

T = TypeVar("T")
Done = Callable[[float], None]  # told the wall seconds the synthesis took


async def start_stream(
    gate: SynthesisGate,
    source: AsyncIterator[T],
    done: Done | None = None,
    caller: str | None = None,
) -> AsyncIterator[T]:
    """Wait for a slot, produce the first item, and return an iterator over all of them."""
    stack = AsyncExitStack()
    try:
        await stack.enter_async_context(gate.slot(caller))
        if done is not None:
            started = time.perf_counter()
            stack.callback(lambda: done(time.perf_counter() - started))
        items = await stack.enter_async_context(aclosing(source))
        first = await anext(items, None)
    except BaseException:
        await stack.aclose()
        raise
    return _rest(first, items, stack)


async def _rest(
    first: T | None, items: AsyncIterator[T], stack: AsyncExitStack
) -> AsyncIterator[T]:
    try:
        if first is not None:
            yield first
        async for item in items:
            yield item
    finally:
        await stack.aclose()


async def collect(
    gate: SynthesisGate,
    source: AsyncIterator[bytes],
    done: Done | None = None,
    caller: str | None = None,
) -> bytes:
    """All of ``source``'s bytes, produced while holding a slot."""
    async with gate.slot(caller), aclosing(source) as chunks:
        started = time.perf_counter()
        audio = b"".join([chunk async for chunk in chunks])
    if done is not None:
        done(time.perf_counter() - started)
    return audio
