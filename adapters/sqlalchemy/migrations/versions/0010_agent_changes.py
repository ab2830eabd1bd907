"""agent: the reversible changes the agent made, with how to undo each (per conversation and turn)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_changes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("undo", sa.JSON(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("created_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_changes")),
    )
    with op.batch_alter_table("agent_changes", schema=None) as batch_op:
        batch_op.create_index("ix_agent_changes_user_id_conversation_id", ["user_id", "conversation_id"], unique=False)
        batch_op.create_index("ix_agent_changes_user_id_turn_id", ["user_id", "turn_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_changes_user_id_turn_id")
        batch_op.drop_index("ix_agent_changes_user_id_conversation_id")
    op.drop_table("agent_changes")
