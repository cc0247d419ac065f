"""Create the conversation-record tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out rather than imported from schema.py, so this revision never changes after the
# fact when the live schema moves on.
ID = sa.String(128)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Conversations, their turns and audio (cascading), and the free-standing audit log."""
    op.create_table(
        "conversations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("end_reason", sa.Text),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("store_transcript", sa.Boolean, nullable=False),
        sa.Column("store_audio", sa.Boolean, nullable=False),
        sa.Column("transcript_until", WHEN),
        sa.Column("audio_until", WHEN),
        sa.Column("has_user_audio", sa.Boolean, nullable=False),
        sa.Column("has_agent_audio", sa.Boolean, nullable=False),
        sa.Column("variables_sealed", sa.LargeBinary),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_started", "conversations", ["started_at", "id"])
    op.create_index(
        "ix_conversations_agent_started", "conversations", ["agent_id", "started_at", "id"]
    )
    op.create_table(
        "turns",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("turn_index", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("time_in_call_secs", sa.Float, nullable=False),
        sa.Column("interrupted", sa.Boolean, nullable=False),
        sa.Column("text_sealed", sa.LargeBinary, nullable=False),
        sa.Column("original_text_sealed", sa.LargeBinary),
        sa.Column("tool_calls_sealed", sa.LargeBinary),
        sa.Column("latency_ms", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_turns_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "turn_index", name="pk_turns"),
    )
    op.create_table(
        "audio_chunks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("track", sa.String(8), nullable=False),
        sa.Column("offset_secs", sa.Float, nullable=False),
        sa.Column("sample_rate", sa.Integer, nullable=False),
        sa.Column("pcm_sealed", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_audio_chunks_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audio_chunks"),
    )
    op.create_index("ix_audio_chunks_conversation_id", "audio_chunks", ["conversation_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("conversation_id", ID),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    """Drop every records table (and so every record)."""
    for index, table in [
        ("ix_audit_log_at", "audit_log"),
        ("ix_audio_chunks_conversation_id", "audio_chunks"),
        ("ix_conversations_agent_started", "conversations"),
        ("ix_conversations_started", "conversations"),
    ]:
        op.drop_index(index, table_name=table)
    for table in ["audit_log", "audio_chunks", "turns", "conversations"]:
        op.drop_table(table)
