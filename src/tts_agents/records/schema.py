"""The conversation-record tables, as SQLAlchemy 2 declarative classes.

Columns named ``*_sealed`` hold AES-GCM ciphertext (see ``crypto``); everything else is
metadata the history list, the purge and the audit need in the clear: ids, times, status,
flags and per-turn latencies, none of which is what anyone said. Rows that hold sealed
content convert to and from the plain ``model`` with the conversation's data key, so what
is sealed, and under which field name, is decided here alone. The migrations in
``migrations/versions`` create exactly these tables; a change here needs a new revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tts_agents.records.crypto import DataKey, MasterKey
from tts_agents.records.model import (
    AudioChunk,
    AuditAction,
    AuditEntry,
    ConversationRecord,
    ConversationStart,
    ConversationSummary,
    Role,
    Status,
    ToolCall,
    Track,
    TurnRecord,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the UTC wall time is stored
    (its text form then sorts in time order) and UTC is attached again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """UTC; without its zone on SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes stored in conversation records must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware, in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)  # type: ignore[no-any-return]
        return value.astimezone(timezone.utc)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    """The records' metadata, with constraint names the migrations can refer to."""

    metadata = MetaData(naming_convention=NAMING)


class ConversationRow(Base):
    """One conversation: its metadata, wrapped data key and sealed variables."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_started", "started_at", "id"),
        Index("ix_conversations_agent_started", "agent_id", "started_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    end_reason: Mapped[str | None] = mapped_column(Text)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    store_transcript: Mapped[bool] = mapped_column(Boolean)
    store_audio: Mapped[bool] = mapped_column(Boolean)
    transcript_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    audio_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    has_user_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    has_agent_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    variables_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    @classmethod
    def begin(cls, start: ConversationStart, key: DataKey, master: MasterKey) -> ConversationRow:
        """A new in-progress row: the data key wrapped, the variables sealed if kept."""
        row = cls(
            id=start.conversation_id,
            agent_id=start.agent_id,
            started_at=start.started_at,
            status="in-progress",
            wrapped_key=master.wrap(key),
            master_key_id=master.key_id,
            store_transcript=start.store_transcript,
            store_audio=start.store_audio,
            transcript_until=start.transcript_until,
            audio_until=start.audio_until,
            has_user_audio=False,
            has_agent_audio=False,
        )
        if start.store_transcript:
            row.variables_sealed = key.seal("variables", json.dumps(start.variables).encode())
        return row

    def summary(self, message_count: int) -> ConversationSummary:
        """The row as a line of the history list (needs no key)."""
        ended = self.ended_at
        duration = max(0.0, (ended - self.started_at).total_seconds()) if ended else 0.0
        status = cast(Status, self.status)
        return ConversationSummary(
            self.id,
            self.agent_id,
            self.started_at,
            duration,
            message_count,
            status,
            self.end_reason,
        )

    def record(self, key: DataKey, turns: Iterable[TurnRow]) -> ConversationRecord:
        """The whole record, decrypted; raises ``RecordTampered`` if anything was touched."""
        variables = {}
        if self.variables_sealed is not None:
            variables = json.loads(key.open("variables", self.variables_sealed))
        return ConversationRecord(
            conversation_id=self.id,
            agent_id=self.agent_id,
            started_at=self.started_at,
            ended_at=self.ended_at,
            status=cast(Status, self.status),
            end_reason=self.end_reason,
            turns=tuple(turn.open(key) for turn in turns),
            variables=variables,
            has_user_audio=self.has_user_audio,
            has_agent_audio=self.has_agent_audio,
            transcript_until=self.transcript_until,
            audio_until=self.audio_until,
        )


class TurnRow(Base):
    """One message of a transcript; removed with its conversation."""

    __tablename__ = "turns"

    conversation_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    turn_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(8))
    time_in_call_secs: Mapped[float] = mapped_column(Float)
    interrupted: Mapped[bool] = mapped_column(Boolean)
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    original_text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    tool_calls_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    latency_ms: Mapped[dict[str, float]] = mapped_column(JSON)

    @classmethod
    def seal(cls, conversation_id: str, key: DataKey, turn: TurnRecord) -> TurnRow:
        """``turn`` as a row, its words sealed and bound to its place in the transcript."""
        # The role is bound too: who said it is as much the record as what was said.
        where = f"turn {turn.index} {turn.role}"
        calls = [asdict(call) for call in turn.tool_calls]
        return cls(
            conversation_id=conversation_id,
            turn_index=turn.index,
            role=turn.role,
            time_in_call_secs=turn.time_in_call_secs,
            interrupted=turn.interrupted,
            text_sealed=key.seal(f"{where} text", turn.text.encode()),
            original_text_sealed=None
            if turn.original_text is None
            else key.seal(f"{where} original text", turn.original_text.encode()),
            tool_calls_sealed=key.seal(f"{where} tool calls", json.dumps(calls).encode())
            if calls
            else None,
            latency_ms=dict(turn.latency_ms),
        )

    def open(self, key: DataKey) -> TurnRecord:
        """The turn, decrypted; raises ``RecordTampered`` if a sealed field was touched."""
        where = f"turn {self.turn_index} {self.role}"
        original = self.original_text_sealed
        calls = self.tool_calls_sealed
        return TurnRecord(
            index=self.turn_index,
            role=cast(Role, self.role),
            text=key.open(f"{where} text", self.text_sealed).decode(),
            time_in_call_secs=self.time_in_call_secs,
            interrupted=self.interrupted,
            original_text=None
            if original is None
            else key.open(f"{where} original text", original).decode(),
            tool_calls=()
            if calls is None
            else tuple(
                ToolCall(**call) for call in json.loads(key.open(f"{where} tool calls", calls))
            ),
            latency_ms=dict(self.latency_ms),
        )


class AudioChunkRow(Base):
    """A piece of one track's PCM; removed with its conversation."""

    __tablename__ = "audio_chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    track: Mapped[str] = mapped_column(String(8))
    offset_secs: Mapped[float] = mapped_column(Float)
    sample_rate: Mapped[int] = mapped_column(Integer)
    pcm_sealed: Mapped[bytes] = mapped_column(LargeBinary)

    @staticmethod
    def _field(track: str, offset_secs: float, sample_rate: int) -> str:
        return f"audio {track} {offset_secs!r} {sample_rate}"

    @classmethod
    def seal(cls, conversation_id: str, key: DataKey, chunk: AudioChunk) -> AudioChunkRow:
        """``chunk`` as a row, its PCM sealed and bound to its track, offset and rate."""
        where = cls._field(chunk.track, chunk.offset_secs, chunk.sample_rate)
        return cls(
            conversation_id=conversation_id,
            track=chunk.track,
            offset_secs=chunk.offset_secs,
            sample_rate=chunk.sample_rate,
            pcm_sealed=key.seal(where, chunk.pcm),
        )

    def open(self, key: DataKey) -> AudioChunk:
        """The chunk, decrypted; raises ``RecordTampered`` if it was touched."""
        where = self._field(self.track, self.offset_secs, self.sample_rate)
        pcm = key.open(where, self.pcm_sealed)
        return AudioChunk(cast(Track, self.track), self.offset_secs, self.sample_rate, pcm)


class AuditRow(Base):
    """One audit entry. No foreign key on purpose: entries outlive their conversations."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditRow:
        """``entry`` as a row."""
        return cls(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            conversation_id=entry.conversation_id,
            detail=entry.detail,
        )

    def entry(self) -> AuditEntry:
        """The row as an entry."""
        action = cast(AuditAction, self.action)
        return AuditEntry(self.at, self.actor, action, self.conversation_id, self.detail)


__all__ = ["AudioChunkRow", "AuditRow", "Base", "ConversationRow", "TurnRow", "UtcDateTime"]
