"""The conversation store: the only module that reads or writes the records database.

Built on SQLAlchemy's asyncio API (aiosqlite, asyncpg), so the event loop never waits on
disk or network. Every write commits at once: a killed server loses at most the turn or audio
chunk in flight, and :meth:`Repository.fail_open` marks what it left unfinished at the next
start. Contents are sealed with the conversation's data key (``crypto``); deleting a
conversation removes its rows and its wrapped key together, and on SQLite also flushes the
write-ahead log, so no copy is left on disk.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from tts_agents.errors import TTSUnavailableError, TTSValidationError
from tts_agents.records import database
from tts_agents.records.crypto import DataKey, MasterKey, MasterKeyMissing
from tts_agents.records.model import (
    AudioChunk,
    AuditEntry,
    ConversationRecord,
    ConversationStart,
    Page,
    PurgeReport,
    Status,
    TurnRecord,
)
from tts_agents.records.schema import AudioChunkRow, AuditRow, ConversationRow, TurnRow

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
MAX_ID_LENGTH = 128  # the id columns' width
AUDIT_RETENTION_DAYS = 365


class ConversationNotFound(TTSValidationError):
    """No conversation has that id (it never existed, or was deleted or purged)."""

    http_status = 404
    code = "conversation_not_found"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


_Moment = TypeVar("_Moment", datetime, None)


def _check_aware(name: str, value: _Moment) -> _Moment:
    # Naive datetimes would be stored as if they were UTC, silently shifting deadlines.
    if value is not None and value.tzinfo is None:
        raise TTSValidationError(name, "must be a timezone-aware datetime")
    return value


class Repository:
    """Conversation records in SQLite or PostgreSQL. Make one with :meth:`open`."""

    def __init__(
        self, engine: AsyncEngine, master: MasterKey | None, clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._master = master
        self._clock = clock

    @classmethod
    async def open(
        cls,
        url: str | None = None,
        master: MasterKey | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Repository:
        """Connect, and migrate the schema to the newest revision.

        ``url`` defaults to ``database.default_url()`` and ``master`` to
        ``MasterKey.from_env()``; without a master key only metadata can be used (listing,
        deleting, purging, auditing, ``fail_open``). ``clock`` is :meth:`purge`'s default now.
        """
        master = master if master is not None else MasterKey.from_env()
        engine = await database.connect(url or database.default_url())
        return cls(engine, master, clock)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    async def __aenter__(self) -> Repository:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self, start: ConversationStart) -> None:
        """Create the record and its data key (a master key is required)."""
        for name in ("started_at", "transcript_until", "audio_until"):
            _check_aware(name, getattr(start, name))
        for name in ("conversation_id", "agent_id"):
            if not 0 < len(getattr(start, name)) <= MAX_ID_LENGTH:
                raise TTSValidationError(name, f"must be 1 to {MAX_ID_LENGTH} characters")
        master = self._require_master()
        row = ConversationRow.begin(start, DataKey.generate(start.conversation_id), master)
        async with self._session() as session:
            session.add(row)

    async def add_turn(self, conversation_id: str, turn: TurnRecord) -> None:
        """Store one transcript turn, committed at once (dropped if no transcript is kept)."""
        async with self._session() as session:
            row = await self._row(session, conversation_id)
            if row.store_transcript:
                session.add(TurnRow.seal(conversation_id, self._data_key(row), turn))

    async def add_audio(self, conversation_id: str, chunk: AudioChunk) -> None:
        """Store one chunk of PCM, committed at once (dropped if no audio is kept).

        Each call is a commit, so hand over chunks of about a second, not single frames.
        """
        async with self._session() as session:
            row = await self._row(session, conversation_id)
            if row.store_audio:
                session.add(AudioChunkRow.seal(conversation_id, self._data_key(row), chunk))
                if chunk.track == "user":
                    row.has_user_audio = True
                else:
                    row.has_agent_audio = True

    async def finish(
        self, conversation_id: str, ended_at: datetime, status: Status, end_reason: str | None
    ) -> None:
        """Record how and when the conversation ended."""
        async with self._session() as session:
            row = await self._row(session, conversation_id)
            row.ended_at = _check_aware("ended_at", ended_at)
            row.status = status
            row.end_reason = end_reason

    async def fail_open(self, reason: str = "server stopped") -> int:
        """Mark conversations a crash left ``in-progress`` as ``failed``; how many there were.

        Call it once at startup, before any conversation begins.
        """
        statement = (
            update(ConversationRow)
            .where(ConversationRow.status == "in-progress")
            .values(status="failed", end_reason=reason)
        )
        async with self._session() as session:
            result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
            return result.rowcount

    async def list(
        self,
        agent_id: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        cursor: str | None = None,
        page_size: int = 30,
    ) -> Page:
        """One page of conversations, newest first, started in ``[after, before)``.

        ``cursor`` is the ``next_cursor`` of the page before; pages stay stable while new
        conversations arrive, since a cursor names the last row seen, not an offset.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise TTSValidationError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")
        row = ConversationRow
        messages = select(func.count()).where(TurnRow.conversation_id == row.id).scalar_subquery()
        query = select(row, messages).order_by(row.started_at.desc(), row.id.desc())
        if agent_id is not None:
            query = query.where(row.agent_id == agent_id)
        if after is not None:
            query = query.where(row.started_at >= _check_aware("after", after))
        if before is not None:
            query = query.where(row.started_at < _check_aware("before", before))
        if cursor is not None:
            at, last_id = _decode_cursor(cursor)
            query = query.where(
                or_(row.started_at < at, (row.started_at == at) & (row.id < last_id))
            )
        async with self._session() as session:
            found = (await session.execute(query.limit(page_size + 1))).all()
        summaries = tuple(r.summary(count) for r, count in found[:page_size])
        has_more = len(found) > page_size
        next_cursor = _encode_cursor(found[page_size - 1][0]) if has_more else None
        return Page(summaries, next_cursor, has_more)

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        """The whole record, decrypted; None if there is none.

        Raises ``RecordTampered`` if any sealed field was altered, never returning its data.
        """
        async with self._session() as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                return None
            turns = await session.scalars(
                select(TurnRow)
                .where(TurnRow.conversation_id == conversation_id)
                .order_by(TurnRow.turn_index)
            )
            turn_rows = turns.all()
        return row.record(self._data_key(row), turn_rows)

    async def audio(self, conversation_id: str) -> builtins.list[AudioChunk] | None:
        """The conversation's audio chunks, decrypted, by track then offset; None if unknown."""
        async with self._session() as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                return None
            chunks = await session.scalars(
                select(AudioChunkRow)
                .where(AudioChunkRow.conversation_id == conversation_id)
                .order_by(AudioChunkRow.track, AudioChunkRow.offset_secs, AudioChunkRow.id)
            )
            chunk_rows = chunks.all()
        key = self._data_key(row)
        return [c.open(key) for c in chunk_rows]

    async def delete(self, conversation_id: str) -> bool:
        """Remove the conversation, its turns, audio and data key at once; whether it existed."""
        statement = delete(ConversationRow).where(ConversationRow.id == conversation_id)
        async with self._session() as session:
            result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
        if result.rowcount and database.is_sqlite(self._engine):
            await self._flush_wal()
        return bool(result.rowcount)

    async def purge(
        self,
        now: datetime | None = None,
        dry_run: bool = False,
        audit_days: int = AUDIT_RETENTION_DAYS,
    ) -> PurgeReport:
        """Delete what has outlived its retention; with ``dry_run`` only count it.

        Transcripts (turns and variables) go after ``transcript_until``, audio after
        ``audio_until``, a conversation once neither is kept any longer, and audit entries
        after ``audit_days``. Counts are of conversations (entries, for the audit log).
        """
        moment = _check_aware("now", now) if now is not None else self._clock()
        async with self._session() as session:
            report = await _purge_expired(await session.connection(), moment, audit_days, dry_run)
        removed = report.conversations or report.transcripts or report.audio
        if not dry_run and (removed or report.audit_entries) and database.is_sqlite(self._engine):
            await self._flush_wal(database.compact)
        return report

    async def record_audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log."""
        row = AuditRow.from_entry(entry)
        _check_aware("at", entry.at)
        async with self._session() as session:
            session.add(row)

    async def audit_log(
        self, since: datetime | None = None, limit: int = 100
    ) -> builtins.list[AuditEntry]:
        """The newest ``limit`` audit entries at or after ``since``, newest first."""
        if limit < 1:
            raise TTSValidationError("limit", "must be at least 1")
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditRow.at >= _check_aware("since", since))
        async with self._session() as session:
            rows = (await session.scalars(query)).all()
        return [row.entry() for row in rows]

    async def rotate(self, new_master: MasterKey) -> int:
        """Re-wrap every data key under ``new_master`` in one transaction; how many changed.

        From then on this repository uses ``new_master``, and the old key can be retired.
        """
        current = self._require_master()
        row = ConversationRow
        query = select(row.id, row.wrapped_key, row.master_key_id)
        async with self._session() as session:
            changes = [
                {
                    "id": cid,
                    "wrapped_key": new_master.wrap(current.unwrap(cid, wrapped, key_id)),
                    "master_key_id": new_master.key_id,
                }
                for cid, wrapped, key_id in (await session.execute(query)).all()
                if key_id != new_master.key_id
            ]
            if changes:
                await session.execute(update(ConversationRow), changes)
        self._master = new_master
        if changes and database.is_sqlite(self._engine):
            await self._flush_wal()
        return len(changes)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """One transaction, committed on leaving; database errors become ours."""
        try:
            async with self._sessions.begin() as session:
                yield session
        except IntegrityError as exc:
            raise TTSValidationError("conversation_id", "conflicts with a stored record") from exc
        except DBAPIError as exc:
            raise TTSUnavailableError("the conversation records database is unavailable") from exc

    async def _row(self, session: AsyncSession, conversation_id: str) -> ConversationRow:
        row = await session.get(ConversationRow, conversation_id)
        if row is None:
            raise ConversationNotFound("conversation_id", "no such conversation")
        return row

    async def _flush_wal(
        self, how: Callable[[AsyncEngine], Awaitable[bool]] = database.flush_wal
    ) -> None:
        """Leave no copy of removed pages in SQLite's write-ahead log."""
        if not await how(self._engine):
            logger.warning(
                "a reader kept the records write-ahead log busy; "
                "removed data leaves it at the next checkpoint"
            )

    def _require_master(self) -> MasterKey:
        if self._master is None:
            raise MasterKeyMissing()
        return self._master

    def _data_key(self, row: ConversationRow) -> DataKey:
        return self._require_master().unwrap(row.id, row.wrapped_key, row.master_key_id)


async def _purge_expired(
    connection: AsyncConnection, now: datetime, audit_days: int, dry_run: bool
) -> PurgeReport:
    c = ConversationRow
    # A NULL deadline compares as unknown, never true: kept until deleted.
    transcript_over = c.transcript_until <= now
    audio_over = c.audio_until <= now
    has_turns = select(TurnRow.turn_index).where(TurnRow.conversation_id == c.id).exists()
    has_audio = select(AudioChunkRow.id).where(AudioChunkRow.conversation_id == c.id).exists()
    nothing_kept = and_(or_(~c.store_transcript, transcript_over), or_(~c.store_audio, audio_over))
    audit_over = AuditRow.at < now - timedelta(days=audit_days)

    async def count(table: Any, *where: Any) -> int:
        return int(
            await connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
        )

    report = PurgeReport(
        conversations=await count(c, nothing_kept),
        transcripts=await count(c, transcript_over, has_turns | c.variables_sealed.is_not(None)),
        audio=await count(c, audio_over, has_audio),
        audit_entries=await count(AuditRow, audit_over),
    )
    if not dry_run:
        expired_transcripts = select(c.id).where(transcript_over)
        expired_audio = select(c.id).where(audio_over)
        for statement in (
            delete(TurnRow).where(TurnRow.conversation_id.in_(expired_transcripts)),
            update(c).where(transcript_over).values(variables_sealed=None),
            delete(AudioChunkRow).where(AudioChunkRow.conversation_id.in_(expired_audio)),
            update(c).where(audio_over).values(has_user_audio=False, has_agent_audio=False),
            delete(c).where(nothing_kept),
            delete(AuditRow).where(audit_over),
        ):
            await connection.execute(statement)
    return report


def _encode_cursor(row: ConversationRow) -> str:
    raw = json.dumps([row.started_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, conversation_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        return _check_aware("cursor", datetime.fromisoformat(at)), str(conversation_id)
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        raise TTSValidationError("cursor", "is not a cursor this list gave out") from None


__all__ = [
    "AUDIT_RETENTION_DAYS",
    "MAX_ID_LENGTH",
    "MAX_PAGE_SIZE",
    "ConversationNotFound",
    "Repository",
]
