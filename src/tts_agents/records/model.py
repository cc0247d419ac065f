"""What a conversation record holds, as plain data (no database, no crypto, no wire shape).

The repository stores these (sealed), the recorder builds them from a live session, the
history API and the webhooks render them in ElevenLabs' shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Role = Literal["user", "agent"]
Status = Literal["in-progress", "done", "failed"]
Track = Literal["user", "agent"]
AuditAction = Literal["list", "read", "audio", "export", "delete", "purge", "rotate"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool the agent called in a turn, and what came back."""

    tool_call_id: str
    name: str
    params: dict[str, Any]
    result: str | None = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One message of the transcript.

    ``time_in_call_secs`` is when the turn began, from the start of the call. An agent turn
    the user interrupted has ``interrupted`` set and ``text`` cut to what was heard
    (``original_text`` keeps what the agent meant to say). ``latency_ms`` holds the turn's
    metrics (``stt``, ``llm_first_token``, ``tts_first_audio``, ``total``).
    """

    index: int
    role: Role
    text: str
    time_in_call_secs: float
    interrupted: bool = False
    original_text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    latency_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """PCM s16le mono that began ``offset_secs`` after the call started."""

    track: Track
    offset_secs: float
    sample_rate: int
    pcm: bytes


@dataclass(frozen=True, slots=True)
class ConversationStart:
    """What is known when a conversation begins.

    ``transcript_until``/``audio_until`` are when each expires (None: kept until deleted);
    the recorder only starts a record when something is to be kept.
    """

    conversation_id: str
    agent_id: str
    started_at: datetime
    variables: dict[str, str] = field(default_factory=dict)
    store_transcript: bool = True
    store_audio: bool = False
    transcript_until: datetime | None = None
    audio_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A row of the history list."""

    conversation_id: str
    agent_id: str
    started_at: datetime
    duration_secs: float
    message_count: int
    status: Status
    end_reason: str | None


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """Everything held about one conversation (audio aside, fetched on its own)."""

    conversation_id: str
    agent_id: str
    started_at: datetime
    ended_at: datetime | None
    status: Status
    end_reason: str | None
    turns: tuple[TurnRecord, ...]
    variables: dict[str, str]
    has_user_audio: bool
    has_agent_audio: bool
    transcript_until: datetime | None
    audio_until: datetime | None

    @property
    def duration_secs(self) -> float:
        """Seconds from start to end (0 while in progress)."""
        if self.ended_at is None:
            return 0.0
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the history list, newest first; ``next_cursor`` continues it."""

    conversations: tuple[ConversationSummary, ...]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which conversation, and when. ``actor`` is a key id or session id."""

    at: datetime
    actor: str
    action: AuditAction
    conversation_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed (or would remove, on a dry run)."""

    conversations: int
    transcripts: int
    audio: int
    audit_entries: int


__all__ = [
    "AudioChunk",
    "AuditAction",
    "AuditEntry",
    "ConversationRecord",
    "ConversationStart",
    "ConversationSummary",
    "Page",
    "PurgeReport",
    "Role",
    "Status",
    "ToolCall",
    "Track",
    "TurnRecord",
]
