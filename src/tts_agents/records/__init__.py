"""Conversation records with privacy built in: nothing is kept unless an agent asks for it.

``model`` (plain data) -> ``crypto`` (AES-256-GCM, per-conversation data keys wrapped by a
master key) -> ``repository`` (SQLAlchemy, SQLite or PostgreSQL, Alembic migrations) ->
``recorder`` (a live session's turns and audio, as consented) -> ``shapes`` (ElevenLabs'
wire shapes) -> ``webhooks`` (signed post-call events).
"""
