"""The browser app: pages, static files, browser sign-in, ``/docs`` and ``/v1/web/*``.

Public by design, and therefore plain Starlette routes outside the OpenAPI schema: the page
shells and the sign-in page (they hold no data), the static files, and ``/v1/web/session``
(reading one's own session, trading a login token for one, signing out). Everything that
returns data is an API route behind :func:`~tts_agents.server.auth.require_key`, which
accepts a key or a browser session with its CSRF header. ``/docs`` and ``/openapi.json``
accept the session cookie alone, because a browser navigates to them and cannot add a
header.
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tts_agents.audio.formats import FORMATS
from tts_agents.server import openapi
from tts_agents.server.auth import authenticate, require_key
from tts_agents.server.browser_auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    BrowserAuth,
    BrowserSession,
    connection_session,
)
from tts_agents.server.errors import ApiProblem
from tts_agents.server.public_url import public_base
from tts_agents.server.settings import ServerSettings

WEB_DIR = Path(__file__).parent / "web"
PLAYGROUND_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")

api = APIRouter(prefix="/v1/web", dependencies=[Depends(require_key)], tags=["browser app"])


def install(app: FastAPI) -> None:
    """Add the browser app to ``app``: its pages, static files, sign-in and API."""
    app.state.browser_auth = BrowserAuth(store=app.state.shared_state)
    openapi.install(app)
    app.add_route("/", _page("index.html"), methods=["GET"], include_in_schema=False)
    app.add_route(
        "/playground", _page("playground.html"), methods=["GET"], include_in_schema=False
    )
    app.add_route("/history", _page("history.html"), methods=["GET"], include_in_schema=False)
    app.add_route("/signin", _page("signin.html"), methods=["GET"], include_in_schema=False)
    app.add_route("/docs", docs_page, methods=["GET"], include_in_schema=False)
    app.add_route("/openapi.json", openapi_document, methods=["GET"], include_in_schema=False)
    app.add_route(
        "/v1/web/session",
        session_endpoint,
        methods=["GET", "POST", "DELETE"],
        include_in_schema=False,
    )
    app.include_router(api)
    app.mount("/static", _StaticFiles(directory=WEB_DIR / "static"), name="static")


def login_url(base_url: str, token: str) -> str:
    """The URL that signs a browser in with ``token`` (what ``serve`` prints).

    The token rides in the fragment, which browsers never send: it stays out of access
    logs, proxies and Referer headers; the page reads it and trades it for a session.
    """
    return f"{base_url.rstrip('/')}/#login={token}"


def browser_url(app: FastAPI, *, host: str, port: int, tls: bool) -> str:
    """The page to open for a server on ``host:port``, with a fresh one-time login token.

    A wildcard address is shown as loopback: the token works whatever host name reaches
    the server. Without auth there is nothing to sign in to, so the URL carries no token.
    """
    base = f"{'https' if tls else 'http'}://{_shown_host(host)}:{port}/"
    settings: ServerSettings = app.state.settings
    if not settings.auth:
        return base
    return login_url(base, app.state.browser_auth.issue_login_token())


def _shown_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name, or empty (every interface)
        return host or "127.0.0.1"
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "[::1]"
    return f"[{address}]" if address.version == 6 else host


@api.get("/agents")
async def list_agents(request: Request) -> dict[str, Any]:
    """The voice agents this server runs: ``id``, ``name``, whether they are public.

    Also what a conversation with each may leave behind, so the page can ask first:
    ``keeps_records`` (its privacy settings may keep a transcript or audio) and ``consent``
    (``required``: only if the user agrees; ``notice``: the user is told; ``none``).
    """
    return {"agents": _agents(request, include_private=True)}


@api.get("/speech-options")
async def speech_options(request: Request) -> dict[str, Any]:
    """What the speech playground may offer: engine, download formats, input limit."""
    settings: ServerSettings = request.app.state.settings
    return {
        "engines": [request.app.state.agent.engine.name],
        "formats": [name for name in PLAYGROUND_FORMATS if name in FORMATS],
        "max_input_chars": settings.max_input_chars,
    }


@api.post("/login-links", responses=openapi.errors(403))
async def create_login_link(request: Request, caller: str = Depends(require_key)) -> dict[str, str]:
    """A new one-time sign-in URL, for a holder of an API key (not for a browser session)."""
    if caller.startswith("session:"):
        raise ApiProblem(403, "login links need an API key", code="key_required")
    auth: BrowserAuth = request.app.state.browser_auth
    return {"login_url": login_url(public_base(request), auth.issue_login_token())}


async def session_endpoint(request: Request) -> Response:
    """``GET``: this browser's session; ``POST``: trade a login token; ``DELETE``: sign out."""
    if request.method == "POST":
        return await _sign_in(request)
    if request.method == "DELETE":
        return _sign_out(request)
    session = connection_session(request, csrf=False)
    if session is None:
        return _session_response(request, None)
    auth: BrowserAuth = request.app.state.browser_auth
    return _session_response(request, auth.renew(session))


async def docs_page(request: Request) -> Response:
    """Swagger UI (self-hosted, external scripts only), for a key or a browser session.

    Anyone else is sent to the sign-in page, which explains how to get a session.
    """
    try:
        authenticate(request, cookie_needs_csrf=False)
    except ApiProblem:
        return RedirectResponse("/signin", status_code=303)
    return FileResponse(WEB_DIR / "docs.html")


async def openapi_document(request: Request) -> Response:
    """The OpenAPI schema, for a key or a browser session."""
    authenticate(request, cookie_needs_csrf=False)
    return JSONResponse(request.app.openapi())


async def _sign_in(request: Request) -> Response:
    # The custom header forces a CORS preflight, so no other site can sign a browser in.
    if CSRF_HEADER not in request.headers:
        raise ApiProblem(403, f"missing the {CSRF_HEADER} header", code="csrf_required")
    settings: ServerSettings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    request.app.state.limiter.check(f"ip:{client}", settings.requests_per_minute_per_ip)
    try:
        body = await request.json()
    except ValueError:
        body = None
    token = body.get("login_token") if isinstance(body, dict) else None
    auth: BrowserAuth = request.app.state.browser_auth
    session = auth.redeem_login_token(token) if isinstance(token, str) else None
    if session is None:
        # The answer is the session state either way; a refused link leaves the caller
        # signed out, and says why.
        return _session_response(
            request, None, login_error="this sign-in link is invalid or was already used"
        )
    return _session_response(request, session)


def _sign_out(request: Request) -> Response:
    session = connection_session(request, csrf=True)
    if session is None:
        raise ApiProblem(401, "not signed in", code="not_signed_in")
    request.app.state.browser_auth.revoke(session)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _session_response(
    request: Request, session: BrowserSession | None, *, login_error: str | None = None
) -> JSONResponse:
    settings: ServerSettings = request.app.state.settings
    auth: BrowserAuth = request.app.state.browser_auth
    signed_in = session is not None or not settings.auth
    body = {
        "authenticated": signed_in,
        "login_required": settings.auth,
        "csrf_token": auth.csrf_token(session) if session else None,
        "expires_at": int(session.expires) if session else None,
        "csrf_header": CSRF_HEADER,
        "agents": _agents(request, include_private=signed_in),
        "login_error": login_error,
    }
    response = JSONResponse(body)
    if session is not None:
        response.set_cookie(
            SESSION_COOKIE,
            auth.cookie_value(session),
            max_age=max(1, int(session.expires - time.time())),
            path="/",
            httponly=True,
            samesite="strict",
            secure=settings.tls or request.url.scheme == "https",
        )
    return response


def _agents(request: Request, *, include_private: bool) -> list[dict[str, Any]]:
    settings: ServerSettings = request.app.state.settings
    listed = [
        {
            "id": agent.id,
            "name": agent.name,
            "public": bool(agent.public),
            "keeps_records": agent.privacy.stores_anything,
            "consent": agent.privacy.consent,
        }
        for agent in settings.agents
        if include_private or agent.public
    ]
    return sorted(listed, key=lambda agent: (agent["name"].lower(), agent["id"]))


def _page(name: str) -> Any:
    path = WEB_DIR / name

    async def page(request: Request) -> Response:
        return FileResponse(path)

    page.__doc__ = f"The {name} page shell (public: it holds no data)."
    return page


class _StaticFiles(StaticFiles):
    """Static files browsers revalidate (ETag) instead of refetching on every page."""

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response
