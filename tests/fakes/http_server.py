"""A real HTTP/1.1 server on 127.0.0.1 (h11 over asyncio, in its own thread).

Each request goes to a handler that returns a :class:`Reply`; a reply can misbehave on
purpose: wait before answering (slow first byte), trickle its body, declare more bytes than
it sends and hang up (a body cut mid-stream), or reset the connection (RST) without a word.
Every request is recorded with its arrival time so tests can count attempts and measure
the gaps between them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11


@dataclass
class Request:
    """One request as the server saw it (header names in lower case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What to answer, and how to misbehave while doing it."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes] = ()
    delay: float = 0.0  # before the status line: a slow first byte
    chunk_delay: float = 0.0  # between body chunks
    content_length: int | None = None  # declared length; None means chunked encoding
    cut_after: int | None = None  # hang up after this many chunks, leaving the body unfinished
    reset: bool = False  # abort with a TCP reset instead of answering

    @classmethod
    def json(cls, status: int, data: Any, **options: Any) -> Reply:
        body = json.dumps(data).encode()
        headers = {"content-type": "application/json", **options.pop("headers", {})}
        return cls(status, headers, [body], content_length=len(body), **options)


Handler = Callable[[Request], "Reply | Awaitable[Reply]"]


class FakeServer:
    """Serve ``handler`` on a random port of 127.0.0.1 while the ``with`` block runs."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.errors: list[Exception] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-server", daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        if self.errors and exc_info[0] is None:
            raise AssertionError(f"the fake server's handler failed: {self.errors[0]!r}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _answer(self, request: Request) -> Reply:
        try:
            reply = self.handler(request)
            return await reply if inspect.isawaitable(reply) else reply
        except Exception as exc:  # a bug in a fake: fail the test, not just this request
            self.errors.append(exc)
            return Reply.json(500, {"error": {"message": f"fake server bug: {exc!r}"}})

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await _read_request(conn, reader)
                if request is None:
                    break
                self.requests.append(request)
                reply = await self._answer(request)
                if not await _send(conn, writer, reply) or conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()


async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> Request | None:
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            target = urlsplit(head.target.decode())
            headers = {k.decode().lower(): v.decode() for k, v in head.headers}
            return Request(
                head.method.decode(),
                target.path,
                dict(parse_qsl(target.query)),
                headers,
                bytes(body),
                time.monotonic(),
            )
        elif isinstance(event, h11.ConnectionClosed):
            return None


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, reply: Reply) -> bool:
    """Write ``reply``; False when the connection must not be reused."""
    if reply.reset:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False
    await asyncio.sleep(reply.delay)
    headers = list(reply.headers.items())
    if reply.content_length is not None:
        headers.append(("content-length", str(reply.content_length)))
    writer.write(conn.send(h11.Response(status_code=reply.status, headers=headers)))
    await writer.drain()
    for index, chunk in enumerate(reply.chunks):
        if reply.cut_after is not None and index >= reply.cut_after:
            break
        if index and reply.chunk_delay:
            await asyncio.sleep(reply.chunk_delay)
        writer.write(conn.send(h11.Data(data=chunk)))
        await writer.drain()
    if reply.cut_after is not None:
        writer.close()
        return False
    writer.write(conn.send(h11.EndOfMessage()))
    await writer.drain()
    return True


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
