"""A live conversation written down as it happens, as far as the agent's privacy allows.

The session hands the recorder every event it sends the client (transcripts, answers,
corrections, tool calls, turn metrics, the agent's audio) and the user's audio. Whether
anything is kept is decided once, when the conversation starts (:func:`.privacy.keep_plan`);
otherwise the recorder does nothing at all. Writes go through a queue to one background task,
so the conversation never waits for the database, and each turn is committed as soon as it
is complete: a killed server loses at most the turn in flight.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tts_agents.records.model import (
    AudioChunk,
    ConversationStart,
    Status,
    ToolCall,
    TurnRecord,
)
from tts_agents.records.privacy import KeepPlan, PrivacySettings, Redactor, keep_plan

if TYPE_CHECKING:
    from tts_agents.records.repository import Repository

logger = logging.getLogger(__name__)

AUDIO_RATE = 16_000  # both tracks: the user's PCM and the agent's speech are 16 kHz
_AUDIO_FLUSH_SECS = 2.0  # user audio is written in pieces of about this length
_LATENCIES = {  # turn_metrics event keys (milliseconds) -> the record's names
    "stt_final_ms": "stt",
    "brain_first_text_ms": "llm_first_token",
    "tts_first_audio_ms": "tts_first_audio",
    "voice_to_voice_ms": "total",
}
Write = Callable[[], Awaitable[Any]]
# (conversation_id, status, began, kept): runs when the conversation is over.
Finished = Callable[[str, Status, bool, bool], Awaitable[None]]


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class ConversationRecorder:
    """Keeps one conversation's transcript and audio, when its agent and its user agree."""

    def __init__(
        self,
        repository: Repository | None,
        settings: PrivacySettings,
        agent_id: str,
        *,
        on_finished: Finished | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``on_finished`` runs when the conversation is over (its record closed)."""
        self._repository = repository
        self._settings = settings
        self._agent_id = agent_id
        self._on_finished = on_finished
        self._clock = clock
        self._monotonic = monotonic
        self._redactor = Redactor(settings.redact)
        self.plan: KeepPlan | None = None
        self.conversation_id: str | None = None  # set by the session that owns it
        self._begun = False
        self._began = monotonic()
        self._turns = 0
        self._agent: dict[str, Any] | None = None  # the agent turn in flight
        self._user_audio = bytearray()
        self._user_audio_at = 0.0
        self._queue: asyncio.Queue[Write | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    @property
    def keeping(self) -> bool:
        """Whether anything of this conversation is being written down."""
        return self.plan is not None

    def begin(self, conversation_id: str, variables: dict[str, str]) -> None:
        """Decide what to keep (from the settings and ``user_consent``) and start."""
        self.conversation_id = conversation_id
        self._begun = True
        self._began = self._monotonic()
        if self._repository is None:
            return
        self.plan = keep_plan(self._settings, variables, self._clock())
        if self.plan is None:
            return
        start = ConversationStart(
            conversation_id,
            self._agent_id,
            self._clock(),
            variables=self.plan.variables,
            store_transcript=self.plan.transcript,
            store_audio=self.plan.audio,
            transcript_until=self.plan.transcript_until,
            audio_until=self.plan.audio_until,
        )
        repository = self._repository
        self._writer = asyncio.create_task(self._write_all())
        self._queue.put_nowait(lambda: repository.start(start))

    def observe(self, event: dict[str, Any]) -> None:
        """Take note of an event the session sends the client."""
        if self.plan is None:
            return
        kind = event.get("type")
        if kind == "user_transcript":
            text = event["user_transcription_event"]["user_transcript"]
            self._close_agent_turn()
            self._add_turn("user", text)
        elif kind == "agent_response":
            self._close_agent_turn()
            text = event["agent_response_event"]["agent_response"]
            self._agent = {"text": text, "at": self._elapsed(), "tools": [], "latency": {}}
        elif kind == "agent_response_correction" and self._agent is not None:
            body = event["agent_response_correction_event"]
            self._agent.update(
                text=body["corrected_agent_response"],
                original=body["original_agent_response"],
                interrupted=True,
            )
        elif kind == "interruption" and self._agent is not None:
            self._agent["interrupted"] = True
        elif kind == "client_tool_call":
            self._tool_call(event["client_tool_call"])
        elif kind == "turn_metrics":
            self._metrics(event["turn_metrics_event"])
        elif kind == "audio" and self.plan.audio:
            pcm = base64.b64decode(event["audio_event"]["audio_base_64"])
            self._add_audio("agent", self._elapsed() - len(pcm) / 2 / AUDIO_RATE, pcm)

    def user_audio(self, pcm: bytes) -> None:
        """The user's microphone, 16 kHz PCM, written in pieces of a couple of seconds."""
        if self.plan is None or not self.plan.audio:
            return
        if not self._user_audio:
            self._user_audio_at = self._elapsed()
        self._user_audio += pcm
        if len(self._user_audio) >= 2 * AUDIO_RATE * _AUDIO_FLUSH_SECS:
            self._flush_user_audio()

    def tool_used(self, use: Any) -> None:
        """A tool the server ran itself (a webhook, ``ToolUse``), with its result."""
        if self.plan is None:
            return
        self._tool_call(
            {"tool_call_id": use.tool_call_id, "tool_name": use.name, "parameters": use.params}
        )
        self.tool_result(use.tool_call_id, use.result, use.is_error)

    def tool_result(self, tool_call_id: str, result: str, is_error: bool) -> None:
        """The client's answer to a tool call of the turn in flight."""
        if self._agent is None:
            return
        for index, call in enumerate(self._agent["tools"]):
            if call.tool_call_id == tool_call_id:
                text = self._redactor.redact(result)
                self._agent["tools"][index] = ToolCall(
                    call.tool_call_id, call.name, call.params, text, is_error
                )

    async def finish(self, status: Status, end_reason: str) -> None:
        """Close the record (the turn in flight and the last audio included)."""
        if self.plan is None or self._repository is None or self.conversation_id is None:
            if self._on_finished is not None and self.conversation_id is not None:
                await self._on_finished(self.conversation_id, status, self._begun, False)
            return
        self._close_agent_turn()
        self._flush_user_audio()
        repository, conversation_id = self._repository, self.conversation_id
        ended = self._clock()
        self._queue.put_nowait(
            lambda: repository.finish(conversation_id, ended, status, end_reason)
        )
        self._queue.put_nowait(None)
        if self._writer is not None:
            await self._writer
        if self._on_finished is not None:
            await self._on_finished(conversation_id, status, True, True)

    # --- building turns --------------------------------------------------------------
    def _elapsed(self) -> float:
        return max(0.0, self._monotonic() - self._began)

    def _add_turn(self, role: str, text: str, **extra: Any) -> None:
        if self.plan is None or not self.plan.transcript or self.conversation_id is None:
            return
        turn = TurnRecord(
            self._turns,
            role,  # type: ignore[arg-type]
            self._redactor.redact(text),
            extra.pop("at", self._elapsed()),
            **extra,
        )
        self._turns += 1
        repository, conversation_id = self._repository, self.conversation_id
        if repository is not None:
            self._queue.put_nowait(lambda: repository.add_turn(conversation_id, turn))

    def _close_agent_turn(self) -> None:
        agent, self._agent = self._agent, None
        if agent is None:
            return
        original = agent.get("original")
        self._add_turn(
            "agent",
            agent["text"],
            at=agent["at"],
            interrupted=bool(agent.get("interrupted")),
            original_text=None if original is None else self._redactor.redact(original),
            tool_calls=tuple(agent["tools"]),
            latency_ms=agent["latency"],
        )

    def _tool_call(self, call: dict[str, Any]) -> None:
        if self._agent is None:
            self._agent = {"text": "", "at": self._elapsed(), "tools": [], "latency": {}}
        params = {
            key: self._redactor.redact(value) if isinstance(value, str) else value
            for key, value in dict(call.get("parameters") or {}).items()
        }
        self._agent["tools"].append(ToolCall(call["tool_call_id"], call["tool_name"], params))

    def _metrics(self, values: dict[str, Any]) -> None:
        latency = {
            name: float(values[key])
            for key, name in _LATENCIES.items()
            if isinstance(values.get(key), int | float)
        }
        if self._agent is not None:
            self._agent["latency"].update(latency)

    def _flush_user_audio(self) -> None:
        if self._user_audio:
            pcm, self._user_audio = bytes(self._user_audio), bytearray()
            self._add_audio("user", self._user_audio_at, pcm)

    def _add_audio(self, track: str, offset: float, pcm: bytes) -> None:
        repository, conversation_id = self._repository, self.conversation_id
        if repository is None or conversation_id is None:
            return
        chunk = AudioChunk(track, max(0.0, offset), AUDIO_RATE, pcm)  # type: ignore[arg-type]
        self._queue.put_nowait(lambda: repository.add_audio(conversation_id, chunk))

    async def _write_all(self) -> None:
        while (write := await self._queue.get()) is not None:
            try:
                await write()
            except Exception as exc:  # a lost write must not end the conversation
                logger.error("could not write the conversation record (%s)", type(exc).__name__)


__all__ = ["AUDIO_RATE", "ConversationRecorder", "utc_now"]
