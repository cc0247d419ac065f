"""Connection limits below the app, where uvicorn has none.

uvicorn keeps a silent or half-sent connection open for as long as the client likes, and has
no cap per client address or in total. :class:`ConnectionGuard` counts open connections per
peer address and in total, and the protocol classes it hands uvicorn (see
:func:`uvicorn_options`) close a connection beyond a cap at once, and close one whose
request headers are not complete ``header_timeout`` seconds after it opened (or after its
last response), or whose request body stalls that long, and abort one whose client has
taken no response bytes for ``send_timeout`` seconds (a plain close would wait forever to
flush them, holding the socket). WebSockets keep their count until they close; their own
authentication deadline is the routes' (``ws_auth_timeout``).

A trusted proxy (``forwarded_allow_ips``) carries many clients on its connections, so it is
not capped per address; the total cap still holds. Accept errors (the process out of file
descriptors) and other event-loop errors are logged at most once per message every
``LOG_EVERY`` seconds, with a count of what was left out, by :func:`quiet_loop_errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import resource
import socket
import struct
import time
from collections import Counter
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from tts_agents.server.settings import ServerSettings

logger = logging.getLogger("tts_agents.server")
LOG_EVERY = 10.0
FD_RESERVE = 256  # descriptors kept for model files, worker pipes, logs and the listener


class ConnectionGuard:
    """Open connections per peer address and in total, with the caps to hold them under."""

    def __init__(
        self,
        *,
        per_address: int,
        total: int,
        header_timeout: float,
        send_timeout: float = 30.0,
        trusted_proxies: tuple[str, ...] = (),
    ) -> None:
        self.per_address = per_address
        self.total = total
        self.header_timeout = header_timeout
        self.send_timeout = send_timeout
        self.trusted_proxies = frozenset(trusted_proxies)
        self.open: Counter[str] = Counter()
        self.open_total = 0
        self.refused = 0  # connections closed at once for a cap
        self.timed_out = 0  # connections closed for a late or stalled request
        self.stalled = 0  # connections aborted for a client that stopped reading

    def admit(self, transport: asyncio.BaseTransport) -> tuple[bool, str | None]:
        """Count a new connection: (admitted, the address it counts against or None)."""
        counted = self.counted_address(transport)
        if self.open_total >= self.total or (
            counted is not None and self.open[counted] >= self.per_address
        ):
            self.refused += 1
            return False, None
        self.open_total += 1
        if counted is not None:
            self.open[counted] += 1
        return True, counted

    def counted_address(self, transport: asyncio.BaseTransport) -> str | None:
        """The address a connection counts against: its peer's, None for a trusted proxy."""
        address = peer_address(transport)
        return None if address in self.trusted_proxies else address

    def release(self, address: str | None) -> None:
        """Forget a connection :meth:`admit` counted."""
        self.open_total -= 1
        if address is not None:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]


def peer_address(transport: asyncio.BaseTransport) -> str:
    """The connecting socket's address (never a forwarded header)."""
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unix"


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with the guard's caps and request deadlines."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self.admitted = False
        self.counted: str | None = None
        self.deadline: asyncio.TimerHandle | None = None
        self.write_stall: asyncio.TimerHandle | None = None
        self.last_data = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Admit the connection or close it; start the clock for its first request."""
        self.admitted, self.counted = self.guard.admit(transport)
        if not self.admitted:
            self.transport = transport
            transport.abort()
            return
        super().connection_made(transport)
        self._arm(self.guard.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Release the connection's place (unless a WebSocket took it over)."""
        if not self.admitted:
            return
        self._disarm()
        self._writing_resumed()
        self.admitted = False
        self.guard.release(self.counted)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Note when the client last sent anything."""
        self.last_data = self.loop.time()
        super().data_received(data)

    def on_response_complete(self) -> None:
        """The next request's headers are due within the deadline too."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.guard.header_timeout)

    def pause_writing(self) -> None:
        """The client is not reading: it has ``send_timeout`` seconds to start again."""
        super().pause_writing()
        if self.write_stall is None and self.admitted:
            self.write_stall = self.loop.call_later(self.guard.send_timeout, self._stalled)

    def resume_writing(self) -> None:
        """The client reads again."""
        super().resume_writing()
        self._writing_resumed()

    def _writing_resumed(self) -> None:
        if self.write_stall is not None:
            self.write_stall.cancel()
            self.write_stall = None

    def _stalled(self) -> None:
        self.write_stall = None
        if self.admitted:
            self.guard.stalled += 1
            _reset(self.transport)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        """Hand the connection's place to the WebSocket protocol."""
        self._disarm()
        self.admitted = False  # the WebSocket protocol releases it
        super().handle_websocket_upgrade(event)

    def _arm(self, delay: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(delay, self._check_deadline)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _check_deadline(self) -> None:
        self.deadline = None
        if self.transport.is_closing() or not self.admitted:
            return
        state = self.conn.their_state
        if state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
            self._drop()  # the headers did not arrive in time
        elif state is h11.SEND_BODY:
            quiet = self.loop.time() - self.last_data
            if quiet >= self.guard.header_timeout:
                self._drop()  # the body stalled
            else:
                self._arm(self.guard.header_timeout - quiet)

    def _drop(self) -> None:
        self.guard.timed_out += 1
        _reset(self.transport)


def _reset(transport: asyncio.Transport) -> None:
    """Close at once with a TCP reset.

    A plain close keeps the unsent bytes in the kernel, which goes on offering them to a
    client that reads nothing (for minutes, megabytes a socket); linger 0 drops them.
    """
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, releasing the guard's count when it closes."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self.counted: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Take over the place the HTTP protocol counted for this connection."""
        self.counted = self.guard.counted_address(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """Release the connection's place."""
        self.guard.release(self.counted)
        super().connection_lost(exc)


def default_connection_cap() -> int:
    """Open connections the process can hold.

    That is its file limit (the soft limit is raised to the hard one first), less a reserve
    for everything else the process opens.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(64, soft - max(FD_RESERVE, soft // 10))


def create_guard(settings: ServerSettings) -> ConnectionGuard:
    """The guard for ``settings``."""
    return ConnectionGuard(
        per_address=settings.max_connections_per_ip,
        total=settings.max_connections or default_connection_cap(),
        header_timeout=settings.header_timeout,
        send_timeout=settings.stream_send_timeout,
        trusted_proxies=settings.forwarded_allow_ips,
    )


def uvicorn_options(guard: ConnectionGuard) -> dict[str, Any]:
    """The uvicorn settings that put ``guard`` in front of the app.

    X-Forwarded-For is believed only from the guard's trusted proxies (uvicorn's own
    default trusts 127.0.0.1, which would let any local client pick its address).
    """
    return {
        "http": functools.partial(GuardedH11Protocol, guard=guard),
        "ws": functools.partial(GuardedWebSocketProtocol, guard=guard),
        "proxy_headers": bool(guard.trusted_proxies),
        "forwarded_allow_ips": list(guard.trusted_proxies) or None,
        "timeout_keep_alive": 5,
    }


def quiet_loop_errors(loop: asyncio.AbstractEventLoop, every: float = LOG_EVERY) -> None:
    """Log the loop's errors at most once per message every ``every`` seconds.

    Out of file descriptors, asyncio reports every failed ``accept()`` with a traceback;
    under a connection flood that is hundreds of megabytes of log. Here the first of each
    kind is logged in one line (its traceback only when it is not such an ``OSError``),
    then a count of the ones left out.
    """
    last: dict[str, float] = {}
    skipped: Counter[str] = Counter()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "event loop error"))
        now = time.monotonic()
        if now - last.get(message, -every) < every:
            skipped[message] += 1
            return
        last[message] = now
        exc = context.get("exception")
        more = f" ({skipped.pop(message)} more since)" if skipped.get(message) else ""
        if isinstance(exc, OSError):
            logger.error("%s: %s%s", message, exc.strerror or type(exc).__name__, more)
        else:
            logger.error("%s%s", message, more, exc_info=exc)

    loop.set_exception_handler(handle)
