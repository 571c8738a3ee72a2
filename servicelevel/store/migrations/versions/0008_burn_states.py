"""burn_states: where each burn-rate rule stands per target and scope; flip details

Revision ID: r0160_burn_states
Revises: r0150_assessments
Create Date: 2026-12-02

Burn-rate alerts on error budgets (issue 14): one state per (target, scope, rule), so a burst
fires once and resolves once, and the rule, windows and burns of each burn flip on
``alert_flips.details`` (JSON), so the webhook carries them as data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0160_burn_states"
down_revision = "r0150_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "burn_states",
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("streak_since", sa.DateTime(), nullable=True),
        sa.Column("last_long_burn", sa.Float(), nullable=True),
        sa.Column("last_short_burn", sa.Float(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "scope", "rule", name=op.f("pk_burn_states")),
    )
    with op.batch_alter_table("alert_flips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_flips", schema=None) as batch_op:
        batch_op.drop_column("details")
    op.drop_table("burn_states")
