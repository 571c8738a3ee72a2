"""assessments: the customer-focus self-assessments, with their day, author and ratings

Revision ID: r0150_assessments
Revises: r0140_quarantine_fingerprint
Create Date: 2026-12-02

The service policy asks for a baseline self-assessment of how customer-focused the business
is (issue 16); each result is kept with the statements it rated, since those are configurable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0150_assessments"
down_revision = "r0140_quarantine_fingerprint"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("statements", sa.Text(), nullable=False),
        sa.Column("ratings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "assessed_on", "author", name=op.f("uq_assessments_assessed_on_author")
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_assessed_on"), ["assessed_on"])


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_assessed_on"))
    op.drop_table("assessments")
