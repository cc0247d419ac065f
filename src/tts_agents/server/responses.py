"""Streaming responses that a stalled client cannot hold forever.

A client that reads the headers and then stops reading keeps a synthesis slot for as long
as it likes: the server's writes wait for room in the socket. :class:`GuardedStream` gives
each write ``send_timeout`` seconds; past that the client is dropped (its connection is
closed) and the stream's source is closed at once, so its slot and worker are free again.
Under ``tts-agents serve`` the connection guard (:mod:`.connections`) aborts such a
connection after the server's send timeout; this response's own timeout, ``FALLBACK``
seconds later, covers the app under other servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.types import Message, Send

from tts_agents.redact import get_logger

logger = get_logger(__name__)
FALLBACK = 5.0


class _Stalled(Exception):
    """The client accepted no bytes within the send timeout."""


class GuardedStream(StreamingResponse):
    """A :class:`StreamingResponse` with a per-write timeout that closes its source."""

    def __init__(self, content: AsyncIterator[Any], *, send_timeout: float, **options: Any):
        super().__init__(content, **options)
        self.send_timeout = send_timeout

    async def stream_response(self, send: Send) -> None:
        """Stream the body; drop the client when a write waits too long."""

        async def guarded(message: Message) -> None:
            try:
                await asyncio.wait_for(send(message), self.send_timeout)
            except asyncio.TimeoutError:
                raise _Stalled from None

        try:
            await super().stream_response(guarded)
        except _Stalled:
            logger.warning("dropped a client that read nothing for %gs", self.send_timeout)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()


def guarded_stream(request: Request, content: AsyncIterator[Any], media_type: str) -> GuardedStream:
    """A streaming response for ``request`` with the server's send timeout."""
    timeout = request.app.state.settings.stream_send_timeout + FALLBACK
    return GuardedStream(content, send_timeout=timeout, media_type=media_type)
