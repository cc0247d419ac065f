"""The voice-agent WebSocket: ``/v1/convai/conversation?agent_id=ID``, ElevenLabs-compatible.

Who may connect, checked in this order after the handshake (every refusal is a close
frame with a reason, so SDKs and browsers can show it):

1. ``agent_id`` names a loaded agent, else close 1008 "unknown agent" (1008 rather than
   a custom 4404: SDKs treat every non-1000 close alike, and the reason says which);
2. a ``conversation_signature`` from :mod:`~tts_agents.server.signed_urls` must be valid
   for this agent, unexpired and unused (1008 otherwise), and is then enough;
3. otherwise an API key (``xi-api-key`` or ``Authorization: Bearer``) for server-side
   clients; a wrong key is refused even for a public agent;
4. otherwise only an agent whose file says ``public: true`` admits the caller.

Then the per-IP rate limit and the cap on concurrent conversations apply (1013, "try
again later"). The conversation itself is a
:class:`~tts_agents.agent.session.ConversationSession`; its end becomes the close frame.
The agents' STT models, brains and voices are built once, when the app starts.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from tts_agents.server.auth import key_is_valid
from tts_agents.server.errors import ApiProblem
from tts_agents.server.memory import trim_soon
from tts_agents.server.metrics import Metrics
from tts_agents.server.settings import ServerSettings
from tts_agents.server.shared_state import SharedState
from tts_agents.server.signed_urls import ConversationSigner, TokenRefused

if TYPE_CHECKING:  # the agent stack (STT, VAD) loads only when agents are configured
    from tts_agents.agent.session.limits import SessionLimits
    from tts_agents.agent.session.runtime import AgentRuntime

POLICY = 1008
TRY_AGAIN_LATER = 1013
_MAX_REASON_BYTES = 123  # the WebSocket limit for a close reason

logger = logging.getLogger("tts_agents.server")


class Refused(Exception):
    """The connection is not admitted: close with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ConversationHub:
    """The app's agents, the URL signer and the count of live conversations."""

    def __init__(self, settings: ServerSettings, store: SharedState | None = None) -> None:
        self.settings = settings
        self.runtimes: dict[str, AgentRuntime] = {}
        secret = settings.conversation_secret
        self.signer = ConversationSigner(
            secret.encode() if secret else None,
            ttl=settings.signed_url_ttl_seconds,
            store=store,
        )
        self.active = 0

    def admit(self, websocket: WebSocket) -> AgentRuntime:
        """The agent this connection may talk to, or :class:`Refused`."""
        params = websocket.query_params
        runtime = self.runtimes.get(params.get("agent_id") or "")
        if runtime is None:
            raise Refused(POLICY, "unknown agent")
        # Limits first: a refused attempt must neither spend a signed URL (the client is
        # told to retry) nor give a key guesser unlimited tries.
        self._rate_limit(websocket)
        if self.active >= self.settings.max_conversations:
            raise Refused(TRY_AGAIN_LATER, "too many conversations; try again later")
        signature = params.get("conversation_signature")
        if signature is not None:
            try:
                self.signer.redeem(signature, runtime.config.id)
            except TokenRefused as exc:
                raise Refused(POLICY, exc.reason) from None
        elif not self._key_admits(websocket) and not runtime.config.public:
            raise Refused(POLICY, "authentication required: a signed URL or an API key")
        return runtime

    def _key_admits(self, websocket: WebSocket) -> bool:
        headers = websocket.headers
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        key = headers.get("xi-api-key") or (bearer.strip() if scheme.lower() == "bearer" else "")
        if not key:
            return not self.settings.auth
        if not key_is_valid(key, self.settings.api_keys):
            raise Refused(POLICY, "invalid API key")
        return True

    def _rate_limit(self, websocket: WebSocket) -> None:
        client = websocket.client.host if websocket.client else "unknown"
        try:
            websocket.app.state.limiter.check(
                f"ip:{client}", self.settings.requests_per_minute_per_ip
            )
        except ApiProblem as exc:
            raise Refused(TRY_AGAIN_LATER, exc.message) from None

    def limits(self, runtime: AgentRuntime) -> SessionLimits:
        """Session limits from the agent's file and the server's message cap."""
        from tts_agents.agent.session.limits import SessionLimits

        session = runtime.config.session
        return SessionLimits(
            max_duration=session.max_duration_s,
            idle_timeout=session.idle_timeout_s,
            max_user_turn=session.max_user_turn_s,
            max_message_bytes=self.settings.max_ws_message_bytes,
            max_text_chars=self.settings.max_input_chars,
        )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every configured agent's runtime before serving; release them after."""
    settings: ServerSettings = app.state.settings
    hub = ConversationHub(settings, app.state.shared_state)
    app.state.conversations = hub
    try:
        if settings.agents:
            from tts_agents.agent.session.runtime import build_runtime

            for config in settings.agents:
                hub.runtimes[config.id] = await build_runtime(config)
        yield
    finally:
        for runtime in hub.runtimes.values():
            await runtime.aclose()


router = APIRouter(lifespan=lifespan)


@router.websocket("/v1/convai/conversation")
async def conversation(websocket: WebSocket) -> None:
    """A voice conversation with an agent."""
    from tts_agents.agent.session.conversation import ConversationSession

    await websocket.accept()
    hub: ConversationHub = websocket.app.state.conversations
    try:
        runtime = hub.admit(websocket)
    except Refused as exc:
        await _close(websocket, exc.code, exc.reason)
        return
    metrics: Metrics = websocket.app.state.metrics
    hub.active += 1
    metrics.conversations_active = hub.active
    try:
        session = ConversationSession(
            runtime,
            send_text=lambda text: _send(websocket, text),
            limits=hub.limits(runtime),
            on_turn_metrics=lambda turn: metrics.observe_turn(asdict(turn)),
            recorder=websocket.app.state.records.recorder(
                runtime.config.privacy, runtime.config.id
            ),
        )
        end = await session.run(lambda: _receive(websocket))
    finally:
        hub.active -= 1
        metrics.conversations_active = hub.active
    await _close(websocket, end.code, end.reason)
    await trim_soon()


async def _receive(websocket: WebSocket) -> str | bytes | None:
    message: dict[str, Any] = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""


async def _send(websocket: WebSocket, text: str) -> None:
    from tts_agents.agent.session.conversation import ConnectionClosed

    try:
        await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        raise ConnectionClosed from exc


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    clipped = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
    try:
        await websocket.close(code, clipped)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client is already gone
