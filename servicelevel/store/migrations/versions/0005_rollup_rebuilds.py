"""rollup_rebuilds: runs of the rollup rebuild job and their progress

Revision ID: r0130_rollup_rebuilds
Revises: r0120_rollups_day
Create Date: 2026-11-26

Readers no longer rebuild the rollups after a definition change: a job does, and records each
run here (rows done / total, started, finished) so the Sources page can say how far it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0130_rollup_rebuilds"
down_revision = "r0120_rollups_day"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rollup_rebuilds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_rebuilds")),
    )


def downgrade() -> None:
    op.drop_table("rollup_rebuilds")
