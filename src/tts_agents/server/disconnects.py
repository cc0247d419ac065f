"""Stop work for HTTP clients that left before their response began.

A request waiting for a synthesis slot (or for a transcription worker, or making its first
chunk) does not read from its connection, so nothing notices when the client closes it:
the request keeps its place in the queue and later takes a slot to speak to nobody. Once a
request's body has been read, the only message left on its connection is the disconnect;
:class:`CancelOnDisconnect` waits for it, and when it comes before the response has
started, cancels the request's task, whose ``finally`` blocks free what it held. After the
response has started, the streaming response notices the disconnect itself.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISCONNECT: Message = {"type": "http.disconnect"}


class CancelOnDisconnect:
    """Pure ASGI: cancel an HTTP request whose client leaves before the response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, watching its connection once the body is in."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = asyncio.Event()
        gone = asyncio.Event()
        started = False

        async def app_receive() -> Message:
            if body_read.is_set():  # only the disconnect is left: the watcher reads it
                await gone.wait()
                return DISCONNECT
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            elif not message.get("more_body", False):
                body_read.set()
            return message

        async def app_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        task = asyncio.current_task()
        assert task is not None  # nosec B101

        async def watch() -> None:
            await body_read.wait()
            await receive()  # returns once the client has gone (or the response is done)
            gone.set()
            if not started:
                task.cancel()

        watcher = asyncio.create_task(watch())
        try:
            await self.app(scope, app_receive, app_send)
        except asyncio.CancelledError:
            if not (gone.is_set() and not started):
                raise  # a cancellation from outside, not ours
            task.uncancel()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
