"""per-day rollups: rollups_day and rollup_day_thresholds

Revision ID: r0120_rollups_day
Revises: r0110_rollup_time_index
Create Date: 2026-11-24

A year of day, week and month windows read every 15-minute rollup row of the year; these tables
hold the same sums per queue, local day and open-or-closed. Which local day and whether open depend
on the targets file (time zone, business hours, holidays), which a migration cannot see: the
tables are created empty here, and the first ``ensure_rollups`` (on start, on
``servicelevel status``, before every evaluation or import) fills them from the 15-minute rollups
and records the calendar it used in ``store_meta``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0120_rollups_day"
down_revision = "r0110_rollup_time_index"
branch_labels = None
depends_on = None

DAY_CALENDAR_KEY = "rollup_day_calendar"  # as servicelevel.store.rollups.DAY_META_KEY


def upgrade() -> None:
    op.create_table(
        "rollups_day",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("short_abandoned", sa.Integer(), nullable=False),
        sa.Column("unanswered_other", sa.Integer(), nullable=False),
        sa.Column("wait_sum_answered", sa.Float(), nullable=False),
        sa.Column("max_wait", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("queue", "day", "open", name=op.f("pk_rollups_day")),
    )
    op.create_index("ix_rollups_day_day", "rollups_day", ["day"])
    op.create_table(
        "rollup_day_thresholds",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("threshold_s", sa.Float(), nullable=False),
        sa.Column("answered_within", sa.Integer(), nullable=False),
        sa.Column("abandoned_within", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "queue", "day", "open", "threshold_s", name=op.f("pk_rollup_day_thresholds")
        ),
    )
    # No calendar recorded: the next ensure_rollups fills the day rows from the 15-minute ones.
    op.execute(sa.text("DELETE FROM store_meta WHERE key = :key").bindparams(key=DAY_CALENDAR_KEY))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM store_meta WHERE key = :key").bindparams(key=DAY_CALENDAR_KEY))
    op.drop_table("rollup_day_thresholds")
    op.drop_index("ix_rollups_day_day", table_name="rollups_day")
    op.drop_table("rollups_day")
