"""The PostgreSQL fixtures hand out a real server that listens on loopback only."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_a_fresh_database_answers_on_loopback_only(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SELECT version()"))).scalar_one()
            listen = (await connection.execute(text("SHOW listen_addresses"))).scalar_one()
            database = (await connection.execute(text("SELECT current_database()"))).scalar_one()
    finally:
        await engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert listen == "127.0.0.1"
    assert database.startswith("test_")
