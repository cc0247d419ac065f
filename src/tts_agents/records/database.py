"""Where the records live and how the engine is set up: URL, SQLite hardening, migrations.

SQLite (the default) keeps everything in one file under the data directory, readable by its
owner only, in WAL mode with ``secure_delete`` so deleted rows are overwritten, not merely
unlinked. PostgreSQL is used when ``TTS_AGENTS_DATABASE_URL`` names one. Either way the
schema is brought to the newest Alembic revision before anything else runs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tts_agents.errors import TTSFileError, TTSUnavailableError

DATA_DIR_ENV = "TTS_AGENTS_DATA_DIR"
DATABASE_URL_ENV = "TTS_AGENTS_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number: replicas starting together take turns at the migration.
_MIGRATION_LOCK = 0x7474_7361_7265_6331
_SQLITE_PRAGMAS = ("journal_mode=WAL", "secure_delete=ON", "foreign_keys=ON")


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``TTS_AGENTS_DATA_DIR``, else the user's data directory.

    Never the cache directory: records are not for a cache cleaner to throw away.
    """
    env = os.environ if environ is None else environ
    return Path(env.get(DATA_DIR_ENV) or platformdirs.user_data_dir("tts-agents"))


def default_url(environ: Mapping[str, str] | None = None) -> str:
    """``TTS_AGENTS_DATABASE_URL``, else SQLite in ``records.db`` of :func:`data_dir`."""
    env = os.environ if environ is None else environ
    return env.get(DATABASE_URL_ENV) or f"sqlite+aiosqlite:///{data_dir(env) / 'records.db'}"


def store_exists(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a store was configured, or made before here (so its history can be read)."""
    url = make_url(default_url(environ))
    if url.get_backend_name() != "sqlite":
        return True
    return url.database is not None and Path(url.database).exists()


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether ``engine`` is SQLite (which needs the WAL flushed and VACUUM after deletes)."""
    return engine.dialect.name == "sqlite"


async def connect(url: str) -> AsyncEngine:
    """An engine for ``url`` with the schema migrated to the newest revision."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _prepare_sqlite_file(Path(parsed.database))
    engine = create_async_engine(parsed)
    if is_sqlite(engine):
        event.listen(engine.sync_engine, "connect", _harden_sqlite)
    try:
        await upgrade(engine)
    except DBAPIError as exc:
        await engine.dispose()
        raise TTSUnavailableError("the conversation records database is unavailable") from exc
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def upgrade(engine: AsyncEngine) -> None:
    """Run every Alembic revision not yet applied, in one transaction."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade_sync)


async def flush_wal(engine: AsyncEngine) -> bool:
    """Copy SQLite's write-ahead log into the database and truncate it to nothing.

    After a delete this leaves no copy of the deleted pages in the ``-wal`` file. False when
    a reader held on past the busy timeout: the log is then emptied at a later checkpoint.
    """
    async with _autocommit(engine) as connection:
        result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = result.scalar()
    return not busy


async def compact(engine: AsyncEngine) -> bool:
    """Rebuild the SQLite file without free pages, then :func:`flush_wal`."""
    async with _autocommit(engine) as connection:
        await connection.exec_driver_sql("VACUUM")
    return await flush_wal(engine)


@asynccontextmanager
async def _autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    # VACUUM and checkpoints cannot run inside a transaction.
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def _upgrade_sync(connection: Connection) -> None:
    config = Config()
    # Config values go through configparser, where % is special.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _prepare_sqlite_file(path: Path) -> None:
    """Create the database file owner-only (0600) in an owner-only (0700) directory.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so they follow.
    A directory that already exists is the operator's choice and is left as it is.
    """
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists():
                file.chmod(0o600)
    except OSError as exc:
        raise TTSFileError(
            f"cannot create the conversation records database ({type(exc).__name__}); "
            f"check {DATA_DIR_ENV} or {DATABASE_URL_ENV}"
        ) from exc


def _harden_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


__all__ = [
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "compact",
    "connect",
    "data_dir",
    "default_url",
    "flush_wal",
    "is_sqlite",
    "store_exists",
    "upgrade",
]
