"""Pure ASGI middleware adding security headers to every HTTP response.

Two Content-Security-Policies, chosen by what a response is. The API serves JSON and audio:
nothing may run, load or frame it. HTML pages (the browser app, ``/docs``) may load scripts,
styles, images, fonts and workers from this origin only, connect back to it (HTTP and
WebSocket), and play the audio they build in memory (``blob:``). No inline script or style,
no ``eval``, no third-party origin anywhere.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tts_agents.server.loopback_guard import request_host
from tts_agents.urls import is_loopback_host

API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Pages may use the microphone (the voice agent); nothing may use the rest.
PAGE_PERMISSIONS = "microphone=(self), camera=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=63072000; includeSubDomains"


def _loopback_host(scope: Scope) -> bool:
    """True when the page was asked for by a loopback name (a potentially trustworthy origin)."""
    return is_loopback_host(request_host(Headers(scope=scope)))


def is_html(headers: MutableHeaders) -> bool:
    """True when the response is an HTML page."""
    return headers.get("content-type", "").split(";")[0].strip().lower() == "text/html"


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, no-referrer, and HSTS when served over TLS."""

    def __init__(self, app: ASGIApp, *, tls: bool = False) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.tls or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                page = is_html(headers)
                headers["Content-Security-Policy"] = PAGE_POLICY if page else API_POLICY
                if page:
                    headers["Permissions-Policy"] = PAGE_PERMISSIONS
                    # Browsers ignore (and complain about) COOP on untrustworthy origins.
                    if secure or _loopback_host(scope):
                        headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cache-Control"] = headers.get("Cache-Control", "no-store")
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
