"""agent: conversations, pending actions, agent policies

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_conversations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_conversations")),
    )
    with op.batch_alter_table("agent_conversations", schema=None) as batch_op:
        batch_op.create_index("ix_agent_conversations_user_id_updated_at", ["user_id", "updated_at"], unique=False)

    op.create_table(
        "agent_pending_actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("tool_call_id", sa.String(length=128), nullable=False),
        sa.Column("decided_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_pending_actions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_pending_actions")),
    )
    with op.batch_alter_table("agent_pending_actions", schema=None) as batch_op:
        batch_op.create_index("ix_agent_pending_actions_conversation_id", ["conversation_id"], unique=False)
        batch_op.create_index(
            "ix_agent_pending_actions_user_id_status_created_at", ["user_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "agent_policies",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("auto_run_reversible", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_policies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_policies")),
    )


def downgrade() -> None:
    op.drop_table("agent_policies")
    with op.batch_alter_table("agent_pending_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_pending_actions_user_id_status_created_at")
        batch_op.drop_index("ix_agent_pending_actions_conversation_id")
    op.drop_table("agent_pending_actions")
    with op.batch_alter_table("agent_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_conversations_user_id_updated_at")
    op.drop_table("agent_conversations")
