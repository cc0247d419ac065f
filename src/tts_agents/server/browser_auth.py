"""Browser sessions: a one-time login token traded for a short-lived, signed cookie.

The API key never reaches a browser. ``tts-agents serve`` prints a URL carrying a one-time
login token (as notebook servers do); the page trades it for a session cookie that is
``HttpOnly`` (scripts cannot read it), ``SameSite=Strict`` (other sites cannot send it),
``Secure`` under TLS, and signed with HMAC-SHA256 so the server keeps no session table.
Unused login tokens, signed-out sessions and the signing secret are kept in the shared
state (:mod:`tts_agents.server.shared_state`): this process by default, so sessions end
when it restarts; Redis when configured, so a link works once on whichever replica it
reaches and a session works on all of them.

Cookies ride along with every request, so a cookie alone is not proof that the page made
the call. API calls made with the cookie must also carry the session's CSRF token in the
:data:`CSRF_HEADER` header: a value only the page learns (from ``/v1/web/session``, which
other origins cannot read) and a custom header other origins cannot set without CORS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from tts_agents.server.shared_state import MemoryStore, SharedState

SESSION_COOKIE = "tts_agents_session"
CSRF_HEADER = "x-tts-agents-csrf"
SESSION_TTL_SECONDS = 60 * 60
SESSION_MAX_SECONDS = 12 * 60 * 60
MAX_PENDING_LOGINS = 32
# A printed login link may sit in a log (systemd, docker): it works once, and only for a day.
LOGIN_TTL_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: ``issued`` and ``expires`` are Unix times in seconds."""

    id: str
    issued: float
    expires: float


class BrowserAuth:
    """Issues login tokens and sessions, and checks them.

    ``secret`` signs the cookies; without one, the store's (random: with the default store,
    sessions end when the server restarts). Sessions last ``ttl`` seconds from their last
    renewal, and never beyond ``max_age`` seconds from the login.
    """

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        ttl: float = SESSION_TTL_SECONDS,
        max_age: float = SESSION_MAX_SECONDS,
        clock: Callable[[], float] = time.time,
        store: SharedState | None = None,
    ) -> None:
        self._secret = secret
        self._ttl = float(int(ttl))
        self._max_age = float(int(max_age))
        self._clock = clock
        self._store = store or MemoryStore(clock=clock)

    def issue_login_token(self) -> str:
        """A fresh token that can be redeemed once for a session.

        Only its digest is kept, and only the newest :data:`MAX_PENDING_LOGINS` of them.
        """
        token = secrets.token_urlsafe(24)
        self._store.add_member(
            "logins", _digest(token), ttl=LOGIN_TTL_SECONDS, keep=MAX_PENDING_LOGINS
        )
        return token

    def redeem_login_token(self, token: str) -> BrowserSession | None:
        """A new session for a valid, unused ``token``; ``None`` otherwise."""
        if not self._store.take_member("logins", _digest(token)):
            return None
        now = self._now()
        return BrowserSession(secrets.token_urlsafe(16), now, now + self._ttl)

    def renew(self, session: BrowserSession) -> BrowserSession:
        """The same session with its expiry pushed ``ttl`` ahead (up to the cap)."""
        expires = min(self._now() + self._ttl, session.issued + self._max_age)
        return BrowserSession(session.id, session.issued, max(expires, session.expires))

    def revoke(self, session: BrowserSession) -> None:
        """Sign ``session`` out: its cookie stops working before it expires."""
        # Renewed cookies of this session expire no later than its cap.
        remaining = session.issued + self._max_age - self._clock()
        if remaining > 0:
            self._store.mark(_revoked(session.id), remaining)

    def cookie_value(self, session: BrowserSession) -> str:
        """The signed cookie for ``session``: ``payload.signature``, both base64url."""
        payload = json.dumps(
            {"sid": session.id, "iat": int(session.issued), "exp": int(session.expires)},
            separators=(",", ":"),
        ).encode()
        body = _b64(payload)
        return f"{body}.{_b64(self._sign(b'session:' + body.encode()))}"

    def read_cookie(self, value: str | None) -> BrowserSession | None:
        """The session a cookie stands for, if its signature holds and it has not expired."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        expected = _b64(self._sign(b"session:" + body.encode()))
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        try:
            fields = json.loads(_unb64(body))
            session = BrowserSession(str(fields["sid"]), float(fields["iat"]), float(fields["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires <= self._clock() or self._store.is_marked(_revoked(session.id)):
            return None
        return session

    def csrf_token(self, session: BrowserSession) -> str:
        """The token the page sends in :data:`CSRF_HEADER`, bound to the session."""
        return _b64(self._sign(b"csrf:" + session.id.encode()))

    def csrf_ok(self, session: BrowserSession, presented: str | None) -> bool:
        """True when ``presented`` is this session's CSRF token (compared in constant time)."""
        expected = self.csrf_token(session)
        return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())

    def _now(self) -> float:
        # Whole seconds, as the cookie carries them, so a read cookie equals its session.
        return float(int(self._clock()))

    def _sign(self, message: bytes) -> bytes:
        secret = self._secret or self._store.secret("browser-sessions")
        return hmac.new(secret, message, hashlib.sha256).digest()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoked(session_id: str) -> str:
    return f"signed-out:{session_id}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def connection_session(connection: HTTPConnection, *, csrf: bool) -> BrowserSession | None:
    """The browser session a request carries; with ``csrf``, only if its CSRF header matches."""
    auth: BrowserAuth | None = getattr(connection.app.state, "browser_auth", None)
    if auth is None:
        return None
    session = auth.read_cookie(connection.cookies.get(SESSION_COOKIE))
    if session is None or (csrf and not auth.csrf_ok(session, connection.headers.get(CSRF_HEADER))):
        return None
    return session
