"""A real-time voice conversation with one agent, over the ElevenLabs event protocol.

::

    client audio -> UserListener (VAD, STT) -> AgentTurns: user turn -> brain.reply(history)
        -> SpokenAnswer (sentences -> TTS -> paced audio events, one event_id per answer)

The session is transport-agnostic: it reads JSON text frames from a ``receive`` callable
and writes them with ``send_text``; the server's WebSocket route supplies both. The first
client message (normally ``conversation_initiation_client_data``) starts it: the metadata
event goes out, then the agent's first message.

Answers and barge-in are :class:`~tts_agents.agent.session.turns.AgentTurns`' job; the
session moves messages, enforces the limits (message size, audio size and rate, idle
time, duration) and keeps the connection alive with pings.

Overrides in ``conversation_config_override`` apply only where the agent's ``overrides``
lists them: ``first_message`` (``agent.first_message``; ``""`` means the agent waits for
the user) and ``text_only`` (also ``conversation.text_only``); null fields and empty
sections (the official SDKs send ``"agent": {}``) count as absent, and anything else is
refused with an ``error`` event and ignored. ``{{name}}`` in the first message is replaced
by the ``dynamic_variables`` entry of that name: at most ``MAX_VARIABLES`` of them, each a
string, number or boolean of at most ``MAX_VARIABLE_CHARS`` characters, or the session is
refused; the first message is cut to the session's text limit after substitution.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from tts_agents.agent import protocol
from tts_agents.agent.brain import Turn
from tts_agents.agent.listen.listener import PartialTranscript, SpeechOnset, UserListener
from tts_agents.agent.protocol import ClientMessage, InitiationData, ProtocolError
from tts_agents.agent.session.calls import ClientToolCalls, Pings
from tts_agents.agent.session.limits import AudioBudget, SessionLimits
from tts_agents.agent.session.metrics import MetricsSink
from tts_agents.agent.session.runtime import AgentRuntime
from tts_agents.agent.session.turns import AgentTurns
from tts_agents.errors import TTSAgentError
from tts_agents.records.recorder import ConversationRecorder

logger = logging.getLogger("tts_agents.agent")

NORMAL = 1000
GONE = 1001
INTERNAL = 1011
MAX_VARIABLES = 32
MAX_VARIABLE_CHARS = 1000
POLICY_VIOLATION = 1008
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

Receive = Callable[[], Awaitable[str | bytes | None]]  # None: the client is gone
SendText = Callable[[str], Awaitable[None]]


class ConnectionClosed(Exception):
    """Raised by ``send_text`` when the transport is gone."""


@dataclass(frozen=True)
class SessionEnd:
    """Why the session ended: the WebSocket close code and reason to send."""

    code: int
    reason: str


class ConversationSession:
    """One conversation; :meth:`run` drives it until either side ends it."""

    def __init__(
        self,
        runtime: AgentRuntime,
        *,
        send_text: SendText,
        limits: SessionLimits | None = None,
        on_turn_metrics: MetricsSink | None = None,
        recorder: ConversationRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.conversation_id = "conv_" + secrets.token_hex(12)
        self.limits = limits or SessionLimits()
        self._send_text = send_text
        self._clock = clock
        self._send_lock = asyncio.Lock()
        self._budget = AudioBudget(self.limits.audio_rate, self.limits.audio_burst, clock)
        self._tools = ClientToolCalls(self._send)
        self._pings = Pings(self._send, clock)
        self._turns = AgentTurns(
            runtime,
            send=self._send,
            tools=self._tools,
            limits=self.limits,
            on_goodbye=lambda: self._end(NORMAL, "the agent ended the conversation"),
            on_metrics=on_turn_metrics,
            on_tool_use=lambda use: self.recorder.tool_used(use),
            clock=clock,
        )
        self._started = False
        self._began = self._last_activity = clock()
        self._ended: asyncio.Future[SessionEnd] | None = None
        self._listener: UserListener | None = None
        # What the agent's privacy settings (and the user's consent) let it keep.
        self.recorder = recorder or ConversationRecorder(
            None, runtime.config.privacy, runtime.config.id
        )
        self.recorder.conversation_id = self.conversation_id

    async def run(self, receive: Receive) -> SessionEnd:
        """Converse until the client leaves, a limit is hit or the agent says goodbye."""
        self._ended = asyncio.get_running_loop().create_future()
        self._listener = UserListener(
            self.runtime.recognizers.create(),
            end_silence_ms=self.runtime.config.turn.end_of_turn_silence_ms,
            vad=self.runtime.config.turn.vad,
            on_onset=self._on_onset,
            max_turn=self.limits.max_user_turn,
            tentative_interval=self.limits.tentative_interval,
            clock=self._clock,
        )
        tasks = [
            asyncio.create_task(self._read(receive)),
            asyncio.create_task(self._keep_alive()),
        ]
        try:
            await asyncio.wait([self._ended, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    logger.error("conversation failed", exc_info=task.exception())
                    self._end(INTERNAL, "internal error")
            return self._ended.result()
        finally:
            for task in tasks:
                task.cancel()
            await self._turns.aclose()
            await asyncio.wait(tasks)
            self._tools.cancel_all()
            await self._listener.aclose()
            await self._close_record()

    async def _close_record(self) -> None:
        end = self._ended.result() if self._ended is not None and self._ended.done() else None
        failed = end is None or end.code not in (NORMAL, GONE)
        reason = "unknown" if end is None else end.reason
        await self.recorder.finish("failed" if failed else "done", reason)

    def _end(self, code: int, reason: str) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(SessionEnd(code, reason))

    async def _send(self, event: dict[str, Any]) -> None:
        if self._ended is not None and self._ended.done():
            return
        self.recorder.observe(event)
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        async with self._send_lock:
            try:
                await self._send_text(text)
            except ConnectionClosed:
                self._end(GONE, "client gone")

    async def _read(self, receive: Receive) -> None:
        while True:
            raw = await receive()
            if raw is None:
                self._end(GONE, "client closed the connection")
                return
            try:
                message = protocol.parse_client_message(
                    raw, max_bytes=self.limits.max_message_bytes
                )
                if not self._started:
                    await self._start(message)
                await self._dispatch(message)
            except ProtocolError as exc:
                await self._send(protocol.error(exc.code, exc.reason))
                if exc.close_code is not None:
                    self._end(exc.close_code, exc.reason)
                    return

    async def _start(self, message: ClientMessage) -> None:
        self._started = True
        first_message = self.runtime.config.first_message
        refused: list[str] = []
        variables: dict[str, str] = {}
        if isinstance(message, InitiationData):
            variables = _checked_variables(message.dynamic_variables)
            first_message, self._turns.text_only, refused = apply_overrides(
                message,
                first_message,
                self.limits.max_text_chars,
                allowed=self.runtime.config.overrides,
            )
        await self._send(protocol.initiation_metadata(self.conversation_id))
        for key in refused:
            await self._send(
                protocol.error("override_not_allowed", f"override {key!r} is not allowed")
            )
        self.recorder.begin(self.conversation_id, variables)
        if first_message.strip():
            self._turns.say(first_message)

    async def _dispatch(self, message: ClientMessage) -> None:
        match message:
            case protocol.UserAudio(pcm=pcm):
                await self._hear(pcm)
            case protocol.Pong(event_id=event_id):
                self._pings.pong(event_id)
            case protocol.UserMessage(text=text):
                self._touch()
                if self._checked(text).strip():
                    await self._turns.on_typed(text.strip())
            case protocol.ContextualUpdate(text=text):
                self._touch()
                self._turns.remember(Turn(role="context", text=self._checked(text)))
            case protocol.ClientToolResult():
                self._touch()
                self.recorder.tool_result(message.tool_call_id, message.result, message.is_error)
                if not self._tools.resolve(message):
                    await self._send(protocol.error("unknown_tool_call", "no such tool call"))
            case protocol.UserActivity():
                self._touch()

    def _checked(self, text: str) -> str:
        if len(text) > self.limits.max_text_chars:
            limit = self.limits.max_text_chars
            raise ProtocolError(
                f"text longer than {limit} characters", code="text_too_long", close_code=None
            )
        return text

    async def _hear(self, pcm: bytes) -> None:
        seconds = len(pcm) / 2 / protocol.SAMPLE_RATE
        if seconds > self.limits.max_chunk_seconds:
            raise ProtocolError(
                f"audio chunks must be at most {self.limits.max_chunk_seconds:g} s",
                code="audio_chunk_too_large",
                close_code=protocol.TOO_LARGE,
            )
        if not self._budget.take(seconds):
            raise ProtocolError(
                "audio arrives faster than real time",
                code="audio_rate_exceeded",
                close_code=protocol.POLICY,
            )
        self.recorder.user_audio(pcm)
        listener = self._listener
        if listener is None:
            raise RuntimeError("audio arrived before the session started listening")
        try:
            events = await listener.feed(pcm)
        except TTSAgentError as exc:  # e.g. a cloud STT timing out: this turn is lost, not the call
            logger.warning("speech recognition failed: %s", exc)
            await self._send(protocol.error("transcription_failed", str(exc)))
            return
        for event in events:
            if isinstance(event, PartialTranscript):
                await self._turns.on_partial(event.text)
            else:
                self._touch()
                await self._turns.on_utterance(event)
        if listener.speaking:
            # Time since the onset may include a pause the detector has not ended the turn
            # on yet; only what exceeds the end-of-turn silence is surely speech.
            pause = self.runtime.config.turn.end_of_turn_silence_ms / 1000
            await self._turns.check_barge_in(listener.partial, listener.speech_seconds - pause)

    def _on_onset(self, onset: SpeechOnset) -> None:
        self._touch()
        self._turns.on_onset(onset)

    def _touch(self) -> None:
        self._last_activity = self._clock()

    async def _keep_alive(self) -> None:
        """Pings, the idle timeout and the maximum duration."""
        limits = self.limits
        next_ping = self._clock() + limits.ping_interval
        while True:
            await asyncio.sleep(0.25)
            now = self._clock()
            listener_busy = self._listener is not None and self._listener.speaking
            if self._turns.speaking or listener_busy or self._tools.pending:
                self._touch()
            if now - self._began > limits.max_duration:
                self._end(NORMAL, "the conversation reached its maximum duration")
            elif now - self._last_activity > limits.idle_timeout:
                self._end(NORMAL, "idle timeout")
            elif self._started and now >= next_ping:
                next_ping = now + limits.ping_interval
                await self._pings.ping()


def apply_overrides(
    init: InitiationData,
    first_message: str,
    max_chars: int,
    *,
    allowed: Collection[str] = (),
) -> tuple[str, bool, list[str]]:
    """Apply a client's ``conversation_config_override`` (see the module docstring).

    Returns the first message, the text-only flag and the dotted names of the overrides
    refused. Raises :class:`ProtocolError` (closing the session) for dynamic variables
    over the limits.
    """
    override = {k: v for k, v in init.override.items() if v not in (None, {}, [])}
    conversation = override.pop("conversation", None) or {}
    conversation = dict(conversation) if isinstance(conversation, dict) else {}
    agent = override.pop("agent", None) or {}
    agent = {k: v for k, v in agent.items() if v is not None} if isinstance(agent, dict) else {}
    refused: list[str] = []
    text_only = False
    for name, value in (
        ("text_only", override.pop("text_only", None)),
        ("conversation.text_only", conversation.pop("text_only", None)),
    ):
        if value is None:
            continue
        if "text_only" in allowed:
            text_only = text_only or bool(value)
        else:
            refused.append(name)
    first = agent.pop("first_message", None)
    if first is not None:
        if "first_message" in allowed and isinstance(first, str):
            first_message = first[:max_chars]
        else:
            refused.append("agent.first_message")
    refused += [f"conversation.{key}" for key in conversation]
    refused += [f"agent.{key}" for key in agent]
    values = _checked_variables(init.dynamic_variables)
    first_message = _VARIABLE.sub(lambda match: values.get(match[1], match[0]), first_message)
    return first_message[:max_chars], text_only, refused + sorted(override)


def _checked_variables(variables: dict[str, Any]) -> dict[str, str]:
    if len(variables) > MAX_VARIABLES:
        raise ProtocolError(
            f"dynamic_variables: at most {MAX_VARIABLES} entries",
            code="invalid_dynamic_variables",
            close_code=POLICY_VIOLATION,
        )
    checked = {}
    for name, value in variables.items():
        if not isinstance(value, str | int | float | bool) or len(str(value)) > MAX_VARIABLE_CHARS:
            raise ProtocolError(
                f"dynamic_variables: each must be a string, number or boolean of at most "
                f"{MAX_VARIABLE_CHARS} characters",
                code="invalid_dynamic_variables",
                close_code=POLICY_VIOLATION,
            )
        checked[str(name)] = str(value)
    return checked
