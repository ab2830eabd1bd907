"""calendar sync: each Google account's calendar sync token and push channel

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_sync",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("sync_token", sa.String(length=500), nullable=True),
        sa.Column("synced_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("channel_resource_id", sa.String(length=200), nullable=True),
        sa.Column("channel_token_hash", sa.String(length=64), nullable=True),
        sa.Column("channel_expires_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mail_accounts.id"],
            name=op.f("fk_calendar_sync_account_id_mail_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_calendar_sync")),
    )
    op.create_index("ix_calendar_sync_channel_id", "calendar_sync", ["channel_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_calendar_sync_channel_id", table_name="calendar_sync")
    op.drop_table("calendar_sync")
