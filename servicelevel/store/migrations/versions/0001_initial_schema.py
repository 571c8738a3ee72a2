"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_table(
        "calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("callid", sa.String(length=80), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(length=120), nullable=True),
        sa.Column("caller_hash", sa.String(length=64), nullable=True),
        sa.Column("ring_no_answer", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint(
            "callid", "queue", "entered_at", name=op.f("uq_calls_callid_queue_entered_at")
        ),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_entered", ["entered_at"], unique=False)
        batch_op.create_index("ix_calls_queue_entered", ["queue", "entered_at"], unique=False)

    op.create_table(
        "complaints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("complaint_key", sa.String(length=120), nullable=False),
        sa.Column("customer_hash", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("nature", sa.String(length=200), nullable=True),
        sa.Column("solution", sa.String(length=200), nullable=True),
        sa.Column("follow_up", sa.String(length=200), nullable=True),
        sa.Column("compensation", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("complaint_key", name=op.f("uq_complaints_complaint_key")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_customer_hash"), ["customer_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_resolved_at"), ["resolved_at"], unique=False
        )

    op.create_table(
        "ingest_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("collector", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_runs_source"), ["source"], unique=False)

    op.create_table(
        "open_calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("callid", sa.String(length=80), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("caller_hash", sa.String(length=64), nullable=True),
        sa.Column("ring_no_answer", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_calls")),
        sa.UniqueConstraint(
            "callid", "queue", "entered_at", name=op.f("uq_open_calls_callid_queue_entered_at")
        ),
    )
    with op.batch_alter_table("open_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_calls_source"), ["source"], unique=False)

    op.create_table(
        "orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_key", sa.String(length=120), nullable=False),
        sa.Column("customer_hash", sa.String(length=64), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_key", name=op.f("uq_orders_order_key")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orders_customer_hash"), ["customer_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_ordered_at"), ["ordered_at"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(), nullable=False),
        sa.Column("replayed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_source"), ["source"], unique=False)

    op.create_table(
        "queue_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("line_hash", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_events")),
        sa.UniqueConstraint("line_hash", name=op.f("uq_queue_events_line_hash")),
    )
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_events_at"), ["at"], unique=False)

    op.create_table(
        "returns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("return_key", sa.String(length=120), nullable=False),
        sa.Column("order_key", sa.String(length=120), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("return_key", name=op.f("uq_returns_return_key")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_returned_at"), ["returned_at"], unique=False)

    op.create_table(
        "rollup_thresholds",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("interval_start", sa.DateTime(), nullable=False),
        sa.Column("threshold_s", sa.Float(), nullable=False),
        sa.Column("answered_within", sa.Integer(), nullable=False),
        sa.Column("abandoned_within", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "queue", "interval_start", "threshold_s", name=op.f("pk_rollup_thresholds")
        ),
    )
    op.create_table(
        "rollups_15min",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("interval_start", sa.DateTime(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("short_abandoned", sa.Integer(), nullable=False),
        sa.Column("unanswered_other", sa.Integer(), nullable=False),
        sa.Column("wait_sum_answered", sa.Float(), nullable=False),
        sa.Column("max_wait", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("queue", "interval_start", name=op.f("pk_rollups_15min")),
    )
    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("collector", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=True),
        sa.Column("offset", sa.BigInteger(), nullable=True),
        sa.Column("watermark", sa.String(length=200), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sources")),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    op.create_table(
        "surveys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("survey_key", sa.String(length=120), nullable=False),
        sa.Column("complaint_key", sa.String(length=120), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("survey_key", name=op.f("uq_surveys_survey_key")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_answered_at"), ["answered_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveys_complaint_key"), ["complaint_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_complaint_key"))
        batch_op.drop_index(batch_op.f("ix_surveys_answered_at"))

    op.drop_table("surveys")
    op.drop_table("store_meta")
    op.drop_table("sources")
    op.drop_table("rollups_15min")
    op.drop_table("rollup_thresholds")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_returned_at"))

    op.drop_table("returns")
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_events_at"))

    op.drop_table("queue_events")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_source"))

    op.drop_table("quarantine")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_ordered_at"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_hash"))

    op.drop_table("orders")
    with op.batch_alter_table("open_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_calls_source"))

    op.drop_table("open_calls")
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_runs_source"))

    op.drop_table("ingest_runs")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_opened_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_customer_hash"))

    op.drop_table("complaints")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_queue_entered")
        batch_op.drop_index("ix_calls_entered")

    op.drop_table("calls")
    op.drop_table("audit")
