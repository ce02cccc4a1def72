"""rate limit counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 22:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Per-key request counters per fixed window, shared by workers and replicas."""
    op.create_table(
        "rate_limit_counters",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "window_start", name=op.f("pk_rate_limit_counters")),
    )


def downgrade() -> None:
    """Drop the counters (they only matter within a window)."""
    op.drop_table("rate_limit_counters")
