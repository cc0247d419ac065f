"""Alembic's entry point for the records' migrations.

Only ever run through ``tts_agents.records.database.upgrade``, which hands over an open
connection in ``config.attributes["connection"]``: there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context

from tts_agents.records.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("records migrations run through tts_agents.records.database.upgrade")

# Batch mode lets later revisions alter SQLite tables (it rebuilds them), a no-op elsewhere.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
