"""scheduled emails

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_emails",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("send_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("due_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scheduled_emails_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_emails")),
    )
    with op.batch_alter_table("scheduled_emails", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_emails_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_scheduled_emails_status_lease_expires_at", ["status", "lease_expires_at"], unique=False
        )
        batch_op.create_index("ix_scheduled_emails_user_id_send_at", ["user_id", "send_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_emails_user_id_send_at")
        batch_op.drop_index("ix_scheduled_emails_status_lease_expires_at")
        batch_op.drop_index("ix_scheduled_emails_status_due_at")

    op.drop_table("scheduled_emails")
