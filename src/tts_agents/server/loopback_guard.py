"""Keep a server that runs without auth to this machine's own pages and tools.

``--no-auth`` is only allowed on loopback, but a loopback server is still reachable from
the user's browser: any website could open WebSockets to it (browsers allow cross-site
WebSockets) or reach it through DNS rebinding (a hostile name that resolves to 127.0.0.1).
With auth off, this middleware answers only requests addressed to a loopback name, and
WebSockets whose Origin, when a browser sends one, is a loopback origin.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tts_agents.urls import is_loopback_host


def request_host(headers: Headers) -> str:
    """The host name a request was addressed to (``Host`` without its port)."""
    return urlsplit(f"//{headers.get('host', '')}").hostname or ""


def _loopback_origin(origin: str) -> bool:
    return is_loopback_host(urlsplit(origin).hostname or "")


class LoopbackGuardMiddleware:
    """Pure ASGI: 403 for a non-loopback ``Host`` or a cross-site WebSocket handshake."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass loopback traffic through; refuse the rest before the app sees it."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = is_loopback_host(request_host(headers)) and (
            scope["type"] == "http" or origin is None or _loopback_origin(origin)
        )
        if allowed:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting makes the server refuse the handshake with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": "not a local origin"})
        else:
            body = json.dumps({"error": {"message": _REFUSAL, "type": "forbidden"}}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})


_REFUSAL = "this server runs without auth and only answers requests addressed to localhost"
