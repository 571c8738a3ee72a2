"""an index on rollups_15min.interval_start

Revision ID: r0110_rollup_time_index
Revises: r0100_reports
Create Date: 2026-11-24

Every window (the Live tiles, a year of Trends, the weekly email) reads the rollups of a time range
over all queues; the primary key (queue, interval_start) cannot serve that, so each read scanned
the whole table.
"""

from __future__ import annotations

from alembic import op

revision = "r0110_rollup_time_index"
down_revision = "r0100_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rollups_15min_interval_start", "rollups_15min", ["interval_start"])


def downgrade() -> None:
    op.drop_index("ix_rollups_15min_interval_start", table_name="rollups_15min")
