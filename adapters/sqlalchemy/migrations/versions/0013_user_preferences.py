"""user preferences: the undo-send window and the senders whose images are always shown (issue 17)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("undo_send_seconds", sa.Integer(), nullable=False, server_default=sa.text("10")))
        batch.add_column(sa.Column("image_senders", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("image_senders")
        batch.drop_column("undo_send_seconds")
