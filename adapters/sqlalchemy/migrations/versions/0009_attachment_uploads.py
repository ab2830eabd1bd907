"""attachment uploads

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("blob_key", sa.String(length=1000), nullable=False),
        sa.Column("created_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("holders", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_attachment_uploads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_uploads")),
    )
    with op.batch_alter_table("attachment_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_attachment_uploads_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_attachment_uploads_user_id_created_at", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachment_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_uploads_user_id_created_at")
        batch_op.drop_index("ix_attachment_uploads_expires_at")
    op.drop_table("attachment_uploads")
