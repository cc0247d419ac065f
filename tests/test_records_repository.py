"""The conversation store, for real: SQLite files in tmp_path, and PostgreSQL for the contract.

Tests taking the ``url`` fixture are the repository contract and run on both backends (ids
``sqlite`` and ``postgresql``); the rest look at SQLite's files byte by byte.
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from tts_agents.errors import TTSValidationError
from tts_agents.records import database
from tts_agents.records.crypto import MasterKey, MasterKeyMismatch, MasterKeyMissing, RecordTampered
from tts_agents.records.model import (
    AudioChunk,
    AuditEntry,
    ConversationStart,
    PurgeReport,
    ToolCall,
    TurnRecord,
)
from tts_agents.records.repository import ConversationNotFound, Repository
from tts_agents.records.schema import Base

# Looked for in every log line of the run by conftest's _no_key_in_any_log.
KEY = MasterKey.generate().to_base64()
MASTER = MasterKey.from_base64(KEY)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PHRASE = "my secret pin is four seven one one"
# 0x55AA repeated is nothing SQLite or AES-GCM would write by chance.
PCM = bytes.fromhex("55aa13f7") * 2000


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Store:
    url: str
    clock: Clock

    async def open(self, master: MasterKey | None = MASTER) -> Repository:
        return await Repository.open(self.url, master=master, clock=self.clock)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'records.db'}"
    return str(request.getfixturevalue("postgres_url"))  # tests/postgres.py: skips loudly


@pytest.fixture
def store(url: str) -> Store:
    return Store(url, Clock(T0 + timedelta(days=1)))


@pytest.fixture
async def repo(store: Store) -> AsyncIterator[Repository]:
    repository = await store.open()
    yield repository
    await repository.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def sqlite_repo(data_dir: Path) -> AsyncIterator[Repository]:
    repository = await Repository.open(f"sqlite+aiosqlite:///{data_dir / 'records.db'}", MASTER)
    yield repository
    await repository.close()


def begin(conversation_id: str, started_at: datetime = T0, **options: object) -> ConversationStart:
    return ConversationStart(conversation_id, "agent-a", started_at, **options)  # type: ignore[arg-type]


TURNS = (
    TurnRecord(0, "agent", "Hello, how can I help?", 0.0, latency_ms={"tts_first_audio": 80.5}),
    TurnRecord(
        1,
        "user",
        PHRASE,
        2.5,
        tool_calls=(ToolCall("call-1", "lookup", {"pin": "4711", "n": [1, 2]}, "found"),),
        latency_ms={"stt": 120.0, "total": 900.0},
    ),
    TurnRecord(2, "agent", "Thanks, I", 5.0, interrupted=True, original_text="Thanks, I see it."),
)


async def record_call(repo: Repository, conversation_id: str, **options: object) -> None:
    await repo.start(begin(conversation_id, variables={"caller": "Ada Lovelace"}, **options))
    for turn in TURNS:
        await repo.add_turn(conversation_id, turn)
    await repo.add_audio(conversation_id, AudioChunk("user", 1.0, 16000, PCM))
    await repo.add_audio(conversation_id, AudioChunk("agent", 0.0, 24000, PCM[:400]))
    await repo.add_audio(conversation_id, AudioChunk("user", 0.0, 16000, PCM[:200]))


# The contract: both backends.


async def test_round_trip_of_a_whole_conversation(repo: Repository) -> None:
    await record_call(repo, "conv-1", store_audio=True, transcript_until=T0 + timedelta(days=30))
    await repo.finish("conv-1", T0 + timedelta(seconds=42), "done", "user hung up")
    record = await repo.get("conv-1")
    assert record is not None
    assert record.turns == TURNS
    assert record.variables == {"caller": "Ada Lovelace"}
    assert (record.status, record.end_reason, record.duration_secs) == ("done", "user hung up", 42)
    assert record.started_at == T0 and record.started_at.tzinfo is not None
    assert record.transcript_until == T0 + timedelta(days=30) and record.audio_until is None
    assert record.has_user_audio and record.has_agent_audio
    chunks = await repo.audio("conv-1")
    assert chunks == [
        AudioChunk("agent", 0.0, 24000, PCM[:400]),
        AudioChunk("user", 0.0, 16000, PCM[:200]),
        AudioChunk("user", 1.0, 16000, PCM),
    ]
    [summary] = (await repo.list()).conversations
    assert (summary.conversation_id, summary.message_count, summary.duration_secs) == (
        "conv-1",
        3,
        42.0,
    )
    assert await repo.get("nope") is None and await repo.audio("nope") is None


async def test_only_what_was_consented_is_kept(repo: Repository) -> None:
    await record_call(repo, "audio-only", store_transcript=False, store_audio=True)
    await record_call(repo, "transcript-only")
    audio_only, transcript_only = await repo.get("audio-only"), await repo.get("transcript-only")
    assert audio_only is not None and transcript_only is not None
    assert audio_only.turns == () and audio_only.variables == {}
    assert len(await repo.audio("audio-only") or []) == 3
    assert transcript_only.turns == TURNS and await repo.audio("transcript-only") == []
    assert not transcript_only.has_user_audio


async def test_writes_to_an_unknown_conversation_are_refused(repo: Repository) -> None:
    with pytest.raises(ConversationNotFound):
        await repo.add_turn("ghost", TURNS[0])
    with pytest.raises(ConversationNotFound):
        await repo.finish("ghost", T0, "done", None)
    await repo.start(begin("conv-1"))
    with pytest.raises(TTSValidationError):
        await repo.start(begin("conv-1"))
    with pytest.raises(TTSValidationError, match="timezone"):
        await repo.start(begin("conv-2", started_at=T0.replace(tzinfo=None)))
    with pytest.raises(TTSValidationError, match="conversation_id"):
        await repo.start(begin("x" * 129))


async def test_pages_newest_first_with_a_stable_cursor(repo: Repository) -> None:
    starts = [
        (f"c{i:02d}", "agent-b" if i % 3 == 0 else "agent-a", T0 + timedelta(minutes=i))
        for i in range(10)
    ]
    starts.append(("c05-tie", "agent-a", T0 + timedelta(minutes=5)))  # same second as c05
    for conversation_id, agent, at in starts:
        await repo.start(ConversationStart(conversation_id, agent, at))
    newest_first = [c for c, _, _ in sorted(starts, key=lambda s: (s[2], s[0]), reverse=True)]

    first = await repo.list(page_size=4)
    assert [s.conversation_id for s in first.conversations] == newest_first[:4]
    assert first.has_more and first.next_cursor
    # A conversation arriving meanwhile does not shift the pages after the first.
    await repo.start(ConversationStart("c99", "agent-a", T0 + timedelta(hours=1)))
    seen = [s.conversation_id for s in first.conversations]
    cursor = first.next_cursor
    while cursor:
        page = await repo.list(page_size=4, cursor=cursor)
        seen += [s.conversation_id for s in page.conversations]
        cursor = page.next_cursor
    assert seen == newest_first

    agent_b = await repo.list(agent_id="agent-b")
    assert [s.conversation_id for s in agent_b.conversations] == ["c09", "c06", "c03", "c00"]
    assert not agent_b.has_more and agent_b.next_cursor is None
    window = await repo.list(after=T0 + timedelta(minutes=2), before=T0 + timedelta(minutes=5))
    assert [s.conversation_id for s in window.conversations] == ["c04", "c03", "c02"]
    exactly_full = await repo.list(agent_id="agent-b", page_size=4)
    assert not exactly_full.has_more


async def test_calls_write_side_by_side(repo: Repository) -> None:
    calls = [f"call-{n}" for n in range(8)]
    await asyncio.gather(*(repo.start(begin(c)) for c in calls))
    await asyncio.gather(*(repo.add_turn(c, turn) for c in calls for turn in TURNS))
    for conversation_id in calls:
        record = await repo.get(conversation_id)
        assert record is not None and record.turns == TURNS


@pytest.mark.parametrize("page_size", [0, 101])
async def test_page_size_and_cursor_are_checked(repo: Repository, page_size: int) -> None:
    with pytest.raises(TTSValidationError, match="page_size"):
        await repo.list(page_size=page_size)
    with pytest.raises(TTSValidationError, match="cursor"):
        await repo.list(cursor="not-a-cursor")


async def test_delete_removes_rows_and_audio_at_once(repo: Repository) -> None:
    await record_call(repo, "conv-1", store_audio=True)
    await record_call(repo, "conv-2", store_audio=True)
    assert await repo.delete("conv-1") is True
    assert await repo.get("conv-1") is None and await repo.audio("conv-1") is None
    assert await repo.delete("conv-1") is False
    assert [s.conversation_id for s in (await repo.list()).conversations] == ["conv-2"]
    assert len(await repo.audio("conv-2") or []) == 3


async def test_another_master_key_cannot_read(store: Store) -> None:
    repo = await store.open()
    await record_call(repo, "conv-1")
    await repo.close()
    stranger = await store.open(MasterKey.generate())
    try:
        with pytest.raises(MasterKeyMismatch, match=MASTER.key_id):
            await stranger.get("conv-1")
        assert len((await stranger.list()).conversations) == 1  # metadata needs no key
    finally:
        await stranger.close()


async def test_contents_need_a_master_key(store: Store) -> None:
    repo = await store.open(master=None)
    try:
        with pytest.raises(MasterKeyMissing):
            await repo.start(begin("conv-1"))
        assert (await repo.list()).conversations == ()
    finally:
        await repo.close()


async def test_purge_audio_first_then_transcript_then_the_row(store: Store) -> None:
    repo = await store.open()
    days = timedelta(days=1)
    expiring = {
        "store_audio": True,
        "transcript_until": T0 + 30 * days,
        "audio_until": T0 + 7 * days,
    }
    await record_call(repo, "expiring", **expiring)
    await record_call(repo, "kept", store_audio=True, audio_until=T0 + 7 * days)

    store.clock.now = T0 + 6 * days
    assert await repo.purge() == PurgeReport(0, 0, 0, 0)
    store.clock.now = T0 + 8 * days
    assert await repo.purge(dry_run=True) == PurgeReport(0, 0, 2, 0)
    assert len(await repo.audio("expiring") or []) == 3, "a dry run changes nothing"
    assert await repo.purge() == PurgeReport(0, 0, 2, 0)
    after_audio = await repo.get("expiring")
    assert after_audio is not None and after_audio.turns == TURNS
    assert not after_audio.has_user_audio and await repo.audio("expiring") == []

    store.clock.now = T0 + 31 * days
    assert await repo.purge(dry_run=True) == PurgeReport(1, 1, 0, 0)
    assert await repo.get("expiring") is not None
    assert await repo.purge() == PurgeReport(1, 1, 0, 0)
    assert await repo.get("expiring") is None
    kept = await repo.get("kept")
    assert kept is not None and kept.turns == TURNS, "no transcript deadline: kept"
    assert await repo.purge() == PurgeReport(0, 0, 0, 0)
    await repo.close()


async def test_audit_outlives_the_conversation_and_ages_on_its_own(repo: Repository) -> None:
    await record_call(repo, "conv-1")
    old = AuditEntry(T0, "key-1234", "read", "conv-1")
    recent = AuditEntry(T0 + timedelta(days=300), "session-9", "delete", "conv-1", "by user")
    listing = AuditEntry(T0 + timedelta(days=301), "key-1234", "list")
    for entry in (old, recent, listing):
        await repo.record_audit(entry)
    assert await repo.delete("conv-1")
    assert await repo.audit_log() == [listing, recent, old]
    assert await repo.audit_log(since=T0 + timedelta(days=1), limit=1) == [listing]

    report = await repo.purge(now=T0 + timedelta(days=366), dry_run=True)
    assert report == PurgeReport(0, 0, 0, 1)
    assert len(await repo.audit_log()) == 3
    assert await repo.purge(now=T0 + timedelta(days=366)) == PurgeReport(0, 0, 0, 1)
    assert await repo.audit_log() == [listing, recent]
    assert await repo.purge(now=T0 + timedelta(days=366), audit_days=30) == PurgeReport(0, 0, 0, 2)
    with pytest.raises(TTSValidationError, match="limit"):
        await repo.audit_log(limit=0)


async def test_rotation_moves_every_record_to_the_new_key(store: Store) -> None:
    repo = await store.open()
    await record_call(repo, "conv-1", store_audio=True)
    await record_call(repo, "conv-2")
    new_master = MasterKey.generate()
    assert await repo.rotate(new_master) == 2
    assert (await repo.get("conv-1")) is not None, "the repository now uses the new key"
    assert await repo.rotate(new_master) == 0
    await repo.close()

    renewed = await store.open(new_master)
    retired = await store.open(MASTER)
    try:
        record = await renewed.get("conv-2")
        assert record is not None and record.turns == TURNS
        assert (await renewed.audio("conv-1") or [])[-1].pcm == PCM
        with pytest.raises(MasterKeyMismatch):
            await retired.get("conv-1")
        with pytest.raises(MasterKeyMismatch):
            await retired.rotate(MasterKey.generate())
    finally:
        await renewed.close()
        await retired.close()


async def test_fail_open_marks_calls_a_crash_left_open(repo: Repository) -> None:
    for conversation_id in ("open-1", "open-2", "closed"):
        await repo.start(begin(conversation_id))
    await repo.finish("closed", T0 + timedelta(minutes=1), "done", "agent ended the call")
    assert await repo.fail_open() == 2
    statuses = {
        s.conversation_id: (s.status, s.end_reason) for s in (await repo.list()).conversations
    }
    assert statuses == {
        "open-1": ("failed", "server stopped"),
        "open-2": ("failed", "server stopped"),
        "closed": ("done", "agent ended the call"),
    }
    assert await repo.fail_open() == 0


async def test_migration_creates_the_schema_once(store: Store) -> None:
    first = await store.open()
    await record_call(first, "conv-1")
    await first.close()
    second = await store.open()
    try:
        record = await second.get("conv-1")
        assert record is not None and record.turns == TURNS

        def check(connection: Connection) -> None:
            tables = set(inspect(connection).get_table_names())
            assert {"conversations", "turns", "audio_chunks", "audit_log"} <= tables
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == "0001"
            # The migration and the declarative schema describe the same tables.
            assert compare_metadata(context, Base.metadata) == []

        async with second._engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await second.close()


# SQLite's files, byte by byte.


def scan(directory: Path, needles: dict[str, bytes]) -> list[str]:
    """Which needles occur in any file under ``directory`` (db, -wal, -shm alike)."""
    files = [path for path in directory.rglob("*") if path.is_file()]
    assert files, "nothing to scan"
    return sorted(
        f"{name} in {path.name}"
        for path in files
        for name, needle in needles.items()
        if needle in path.read_bytes()
    )


def plaintexts() -> dict[str, bytes]:
    return {
        "phrase": PHRASE.encode(),
        "variable": b"Ada Lovelace",
        "tool params": b"4711",
        "agent text": b"how can I help",
        "pcm": PCM[:64],
        "wav header": b"RIFF",
    }


async def test_nothing_is_plain_at_rest(sqlite_repo: Repository, data_dir: Path) -> None:
    await record_call(sqlite_repo, "conv-1", store_audio=True)
    await sqlite_repo.finish("conv-1", T0 + timedelta(minutes=2), "done", "user hung up")
    assert scan(data_dir, plaintexts()) == []
    await sqlite_repo.close()
    assert scan(data_dir, plaintexts()) == []


async def test_files_are_owner_only(sqlite_repo: Repository, data_dir: Path) -> None:
    await record_call(sqlite_repo, "conv-1")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = sorted(path.name for path in data_dir.iterdir())
    assert files == ["records.db", "records.db-shm", "records.db-wal"]
    for path in data_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    with closing(sqlite3.connect(data_dir / "records.db")) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def sealed_bytes(db: Path, conversation_id: str) -> dict[str, bytes]:
    raw = sqlite3.connect(db)
    try:
        found = {}
        for table, column, key in [
            ("conversations", "wrapped_key", "id"),
            ("conversations", "variables_sealed", "id"),
            ("turns", "text_sealed", "conversation_id"),
            ("turns", "tool_calls_sealed", "conversation_id"),
            ("audio_chunks", "pcm_sealed", "conversation_id"),
        ]:
            query = f"SELECT {column} FROM {table} WHERE {key} = ? AND {column} IS NOT NULL"  # noqa: S608
            for n, (value,) in enumerate(raw.execute(query, (conversation_id,))):
                found[f"{column} {n}"] = bytes(value)
        return found
    finally:
        raw.close()


async def test_delete_leaves_no_trace_on_disk(sqlite_repo: Repository, data_dir: Path) -> None:
    doomed = "conv-7f3a9c1e-doomed"
    await record_call(sqlite_repo, doomed, store_audio=True)
    await record_call(sqlite_repo, "conv-kept")
    await sqlite_repo.finish(doomed, T0 + timedelta(minutes=3), "done", None)
    needles = sealed_bytes(data_dir / "records.db", doomed)
    assert len(needles) == 9
    needles |= {"conversation id": doomed.encode(), **plaintexts()}
    assert "conversation id in records.db-wal" in scan(data_dir, needles)

    assert await sqlite_repo.delete(doomed)
    assert scan(data_dir, needles) == []
    assert (data_dir / "records.db-wal").stat().st_size == 0
    await sqlite_repo.close()
    assert scan(data_dir, needles) == []
    assert scan(data_dir, {"kept": b"conv-kept"}) != [], "the scan sees what is there"


async def test_a_changed_byte_is_refused(sqlite_repo: Repository, data_dir: Path) -> None:
    for conversation_id in ("conv-1", "conv-2", "conv-3", "conv-4"):
        await record_call(sqlite_repo, conversation_id, store_audio=True)
    raw = sqlite3.connect(data_dir / "records.db")
    try:
        sealed = raw.execute(
            "SELECT text_sealed FROM turns WHERE conversation_id = 'conv-1' AND turn_index = 1"
        ).fetchone()[0]
        flipped = bytes([sealed[0], sealed[1] ^ 0x80, *sealed[2:]])
        raw.execute(
            "UPDATE turns SET text_sealed = ? WHERE conversation_id = 'conv-1' AND turn_index = 1",
            (flipped,),
        )
        # Another conversation's turn moved into conv-2's transcript, intact.
        raw.execute(
            "UPDATE turns SET text_sealed = (SELECT text_sealed FROM turns WHERE "
            "conversation_id = 'conv-1' AND turn_index = 0) "
            "WHERE conversation_id = 'conv-2' AND turn_index = 0"
        )
        # Who said it is bound to what was said.
        raw.execute("UPDATE turns SET role = 'agent' WHERE conversation_id = 'conv-3'")
        chunk_id, pcm = raw.execute(
            "SELECT id, pcm_sealed FROM audio_chunks WHERE conversation_id = 'conv-4'"
        ).fetchone()
        pcm = bytes([*pcm[:-1], pcm[-1] ^ 0x01])
        raw.execute("UPDATE audio_chunks SET pcm_sealed = ? WHERE id = ?", (pcm, chunk_id))
        raw.commit()
    finally:
        raw.close()
    for conversation_id in ("conv-1", "conv-2", "conv-3"):
        with pytest.raises(RecordTampered) as caught:
            await sqlite_repo.get(conversation_id)
        assert PHRASE not in str(caught.value)
    with pytest.raises(RecordTampered):
        await sqlite_repo.audio("conv-4")


async def test_a_data_key_moved_to_another_row_is_refused(
    sqlite_repo: Repository, data_dir: Path
) -> None:
    await record_call(sqlite_repo, "conv-1")
    await record_call(sqlite_repo, "conv-2")
    raw = sqlite3.connect(data_dir / "records.db")
    try:
        raw.execute(
            "UPDATE conversations SET wrapped_key = "
            "(SELECT wrapped_key FROM conversations WHERE id = 'conv-1') WHERE id = 'conv-2'"
        )
        raw.commit()
    finally:
        raw.close()
    with pytest.raises(RecordTampered):
        await sqlite_repo.get("conv-2")


async def test_purge_compacts_the_file(data_dir: Path) -> None:
    url = f"sqlite+aiosqlite:///{data_dir / 'records.db'}"
    repo = await Repository.open(url, MASTER)
    for n in range(5):
        await record_call(repo, f"conv-{n}", store_audio=True, audio_until=T0)
    size = sum(path.stat().st_size for path in data_dir.glob("records.db*"))
    assert await repo.purge(now=T0) == PurgeReport(0, 0, 5, 0)
    assert (data_dir / "records.db-wal").stat().st_size == 0
    await repo.close()
    assert (data_dir / "records.db").stat().st_size < size / 2
    with closing(sqlite3.connect(data_dir / "records.db")) as raw:
        assert raw.execute("PRAGMA freelist_count").fetchone() == (0,)


async def test_defaults_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "data"
    monkeypatch.setenv("TTS_AGENTS_DATA_DIR", str(home))
    monkeypatch.setenv("TTS_AGENTS_MASTER_KEY", KEY)
    assert database.default_url() == f"sqlite+aiosqlite:///{home / 'records.db'}"
    repo = await Repository.open()
    try:
        await record_call(repo, "conv-1")
        assert (await repo.get("conv-1")) is not None
    finally:
        await repo.close()
    assert (home / "records.db").exists()
    monkeypatch.setenv("TTS_AGENTS_DATABASE_URL", "postgresql+asyncpg://db.internal/records")
    assert database.default_url() == "postgresql+asyncpg://db.internal/records"


def test_default_data_dir_is_not_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    assert database.data_dir() == Path(platformdirs.user_data_dir("tts-agents"))
    assert database.data_dir() != Path(platformdirs.user_cache_dir("tts-agents"))
