"""audit: entries are written unsealed and sealed into the chain later (no shared row per append, ADR 0012)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqlalchemy.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNSEALED = sa.text("seq IS NULL")


def upgrade() -> None:
    # Every existing entry was sealed when written; the primary key moves from seq to id so that an entry can be
    # written before it has a place in the chain.
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_logs_action_seq")
        batch_op.drop_index("ix_audit_logs_actor_seq")
        batch_op.drop_constraint("uq_audit_logs_id", type_="unique")
        batch_op.drop_constraint("pk_audit_logs", type_="primary")
        batch_op.create_primary_key("pk_audit_logs", ["id"])
        batch_op.alter_column("seq", existing_type=SEQ, nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint("uq_audit_logs_seq", ["seq"])
        batch_op.create_index("ix_audit_logs_action_at", ["action", "occurred_at"], unique=False)
        batch_op.create_index("ix_audit_logs_actor_at", ["actor_id", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_audit_logs_unsealed",
            ["occurred_at", "id"],
            unique=False,
            postgresql_where=UNSEALED,
            sqlite_where=UNSEALED,
        )
    with op.batch_alter_table("audit_chain_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_at", adapters.sqlalchemy.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    unsealed = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_logs WHERE seq IS NULL")).scalar()
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit entries are not sealed yet: run `mailagent audit seal` before downgrading, "
            "or they would have no place in the old chain"
        )
    with op.batch_alter_table("audit_chain_head", schema=None) as batch_op:
        batch_op.drop_column("sealed_at")
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_logs_unsealed")
        batch_op.drop_index("ix_audit_logs_actor_at")
        batch_op.drop_index("ix_audit_logs_action_at")
        batch_op.drop_constraint("uq_audit_logs_seq", type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=SEQ, nullable=False)
        batch_op.drop_constraint("pk_audit_logs", type_="primary")
        batch_op.create_primary_key("pk_audit_logs", ["seq"])
        batch_op.create_unique_constraint("uq_audit_logs_id", ["id"])
        batch_op.create_index("ix_audit_logs_actor_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_logs_action_seq", ["action", "seq"], unique=False)
