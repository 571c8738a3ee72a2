"""reports, alerts and scheduler: send_log, alert_states, alert_flips, job_leases

Revision ID: r0100_reports
Revises: 0001
Create Date: 2026-11-24

The scheduler's own job table (``apscheduler_jobs``) is created by APScheduler's SQLAlchemy job
store when a worker starts; it is not ours to migrate.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0100_reports"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "send_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_log")),
        sa.UniqueConstraint("kind", "period", name=op.f("uq_send_log_kind_period")),
    )
    op.create_table(
        "alert_states",
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("streak_since", sa.DateTime(), nullable=True),
        sa.Column("streak_windows", sa.Integer(), nullable=False),
        sa.Column("streak_window_start", sa.DateTime(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "scope", name=op.f("pk_alert_states")),
    )
    op.create_table(
        "alert_flips",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("ideal", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("processed", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_flips")),
    )
    with op.batch_alter_table("alert_flips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_flips_created_at"), ["created_at"], unique=False)
        # For alerts.send_pending: "WHERE processed IS NULL ORDER BY id".
        batch_op.create_index(
            "ix_alert_flips_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("processed IS NULL"),
            postgresql_where=sa.text("processed IS NULL"),
        )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    with op.batch_alter_table("alert_flips", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_flips_pending")
        batch_op.drop_index(batch_op.f("ix_alert_flips_created_at"))
    op.drop_table("alert_flips")
    op.drop_table("alert_states")
    op.drop_table("send_log")
