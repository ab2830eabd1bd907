"""mail sync state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_sync",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=32), nullable=True),
        sa.Column("last_synced_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_full_sync_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("watch_expires_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("watch_status", sa.String(length=16), nullable=False),
        sa.Column("watch_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["mail_accounts.id"], name=op.f("fk_mail_sync_account_id_mail_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_mail_sync")),
    )


def downgrade() -> None:
    op.drop_table("mail_sync")
