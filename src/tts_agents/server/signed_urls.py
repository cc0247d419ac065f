"""Signed conversation URLs: a key holder lets a browser talk to an agent without the key.

``GET /v1/convai/conversation/get-signed-url?agent_id=ID`` (API key required) answers
``{"signed_url": "ws(s)://host/v1/convai/conversation?agent_id=ID&conversation_signature=T"}``
as ElevenLabs does; the SDKs dial it verbatim. The token ``T`` is
``nonce.expiry.signature``: an HMAC-SHA256 over the agent id, the nonce and the expiry
(Unix seconds) with a server secret. It works for that agent only, until it expires, and
once: redeemed nonces are remembered until their expiry. That memory is bounded; when it
is full, new conversations are refused rather than a nonce forgotten early.

The secret is random per process unless configured (``TTS_AGENTS_CONVERSATION_SECRET``),
and so is the record of redeemed nonces: behind several replicas, share the secret and
route a client's token to the replica that issued it, or accept that each replica
enforces single use on its own.
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

from tts_agents.server.auth import require_key
from tts_agents.server.errors import ApiProblem
from tts_agents.server.public_url import public_base

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
    """Issues and redeems single-use, expiring, agent-bound conversation tokens."""

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
        max_redeemed: int = MAX_REDEEMED,
    ) -> None:
        if not 0 < ttl <= MAX_TTL:
            raise ValueError(f"signed URLs must expire within {MAX_TTL:g} s")
        self._secret = secret or secrets.token_bytes(32)
        self._ttl = ttl
        self._clock = clock
        self._max_redeemed = max_redeemed
        self._redeemed: dict[str, int] = {}  # nonce -> expiry, in order of redemption

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
        self._forget_expired(now)
        if nonce in self._redeemed:
            raise TokenRefused("conversation signature already used")
        if len(self._redeemed) >= self._max_redeemed:
            raise TokenRefused("too many conversations started; retry later")
        self._redeemed[nonce] = expiry

    def _sign(self, agent_id: str, nonce: str, expiry: int) -> str:
        message = f"convai\n{agent_id}\n{nonce}\n{expiry}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _forget_expired(self, now: float) -> None:
        # Entries are in redemption order, not expiry order: sweep them all, but only when
        # the record is filling up (a bounded dict, so this stays cheap).
        if len(self._redeemed) < self._max_redeemed // 2:
            return
        for nonce in [nonce for nonce, expiry in self._redeemed.items() if expiry < now]:
            del self._redeemed[nonce]


@router.get("/v1/convai/conversation/get-signed-url")
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
