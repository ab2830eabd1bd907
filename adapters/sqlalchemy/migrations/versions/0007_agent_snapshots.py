"""agent: a pending action holds its frozen snapshot (the exact effect) and the snapshot's content hash

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Actions held before this revision keep a null snapshot: they can be rejected but never approved.
    with op.batch_alter_table("agent_pending_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("snapshot_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_pending_actions", schema=None) as batch_op:
        batch_op.drop_column("snapshot_hash")
        batch_op.drop_column("snapshot")
