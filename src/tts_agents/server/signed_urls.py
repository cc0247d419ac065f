"""Signed conversation URLs: a key holder lets a browser talk to an agent without the key.

``GET /v1/convai/conversation/get-signed-url?agent_id=ID`` (API key required) answers
``{"signed_url": "ws(s)://host/v1/convai/conversation?agent_id=ID&conversation_signature=T"}``
as ElevenLabs does; the SDKs dial it verbatim. The token ``T`` is
``nonce.expiry.signature``: an HMAC-SHA256 over the agent id, the nonce and the expiry
(Unix seconds) with a server secret. It works for that agent only, until it expires, and
once: redeemed nonces are marked in the shared state until their expiry (see
:mod:`tts_agents.server.shared_state`). When that record is full or unreachable, new
conversations are refused rather than a nonce forgotten early.

The secret is ``TTS_AGENTS_CONVERSATION_SECRET`` when configured, else a random one kept
with the shared state: per process by default, in Redis when ``TTS_AGENTS_REDIS_URL`` is
set. So replicas sharing Redis accept each other's URLs, and a URL used on one is refused
on all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from tts_agents.errors import TTSUnavailableError
from tts_agents.server.auth import require_key
from tts_agents.server.errors import ApiProblem
from tts_agents.server.openapi import errors
from tts_agents.server.public_url import public_base
from tts_agents.server.shared_state import MemoryStore, SharedState

DEFAULT_TTL = 300.0
MAX_TTL = 900.0
MAX_REDEEMED = 100_000
SIGNED_PATH = "/v1/convai/conversation"

router = APIRouter()


class TokenRefused(Exception):
    """A conversation signature that does not admit the caller; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConversationSigner:
    """Issues and redeems single-use, expiring, agent-bound conversation tokens.

    Without a ``store``, the record of redeemed nonces is this signer's own, holding at
    most ``max_redeemed`` of them.
    """

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
        max_redeemed: int = MAX_REDEEMED,
        store: SharedState | None = None,
    ) -> None:
        if not 0 < ttl <= MAX_TTL:
            raise ValueError(f"signed URLs must expire within {MAX_TTL:g} s")
        self._secret = secret
        self._ttl = ttl
        self._clock = clock
        self._store = store or MemoryStore(max_marks=max_redeemed, clock=clock)

    def issue(self, agent_id: str) -> str:
        """A fresh token for ``agent_id``."""
        nonce = secrets.token_urlsafe(16)
        expiry = int(self._clock() + self._ttl)
        return f"{nonce}.{expiry}.{self._sign(agent_id, nonce, expiry)}"

    def redeem(self, token: str, agent_id: str) -> None:
        """Use ``token`` for ``agent_id`` now, or raise :class:`TokenRefused`."""
        nonce, _, rest = token.partition(".")
        expiry_text, _, signature = rest.partition(".")
        if not (nonce and expiry_text.isascii() and expiry_text.isdigit() and signature):
            raise TokenRefused("malformed conversation signature")
        expiry = int(expiry_text)
        expected = self._sign(agent_id, nonce, expiry)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise TokenRefused("invalid conversation signature for this agent")
        now = self._clock()
        if expiry < now:
            raise TokenRefused("conversation signature expired")
        try:
            # Remembered one second past the expiry: until then the token is still valid.
            first_use = self._store.mark(f"conversation:{nonce}", expiry - now + 1)
        except TTSUnavailableError as exc:
            raise TokenRefused(exc.message) from None
        if not first_use:
            raise TokenRefused("conversation signature already used")

    def _sign(self, agent_id: str, nonce: str, expiry: int) -> str:
        message = f"convai\n{agent_id}\n{nonce}\n{expiry}".encode()
        secret = self._secret or self._store.secret("conversation-urls")
        digest = hmac.new(secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@router.get("/v1/convai/conversation/get-signed-url", responses=errors(404))
async def get_signed_url(
    request: Request, agent_id: str, _key: str = Depends(require_key)
) -> dict[str, str]:
    """A single-use WebSocket URL for a conversation with ``agent_id``."""
    hub = request.app.state.conversations
    if agent_id not in hub.runtimes:
        raise ApiProblem(404, f"agent {agent_id[:64]!r} not found", code="agent_not_found")
    token = hub.signer.issue(agent_id)
    base = public_base(request)
    query = urlencode({"agent_id": agent_id, "conversation_signature": token})
    return {"signed_url": f"{base.replace('http', 'ws', 1)}{SIGNED_PATH}?{query}"}
