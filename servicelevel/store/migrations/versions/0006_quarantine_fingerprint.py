"""quarantine.fingerprint: which row of which source a quarantined row is

Revision ID: r0140_quarantine_fingerprint
Revises: r0130_rollup_rebuilds
Create Date: 2026-11-28

A quarantined row was a duplicate whenever any source had quarantined the same raw text for the
same reason; rows that could not be split into columns keep no text, so every one of them after
the first, in any file, was counted as a duplicate and left no trace. Mapped sources now match
a row on its fingerprint: its source, its place, its reason and its text, digested. The rows
such sources quarantined before keep their raw text (the columns the mapping reads), so their
fingerprint is computed here and a re-read still finds them; the others (a queue_log's, and the
unreadable records that kept no text) stay NULL.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "r0140_quarantine_fingerprint"
down_revision = "r0130_rollup_rebuilds"
branch_labels = None
depends_on = None

_BATCH = 1_000


def _fingerprint(source: str, location: str, reason: str, raw: str) -> str:
    """servicelevel.store.ingest.row_fingerprint of a row without unreadable text, frozen here."""
    digest = hashlib.sha256()
    for part in (source, location, reason, raw):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.create_index("ix_quarantine_fingerprint", ["fingerprint"])
    bind = op.get_bind()
    quarantine = sa.table(
        "quarantine",
        sa.column("id", sa.Integer()),
        sa.column("source", sa.String()),
        sa.column("location", sa.String()),
        sa.column("reason", sa.String()),
        sa.column("raw", sa.Text()),
        sa.column("fingerprint", sa.String()),
    )
    sources = sa.table(
        "sources", sa.column("name", sa.String()), sa.column("collector", sa.String())
    )
    mapped = sa.select(sources.c.name).where(
        sa.or_(sources.c.collector.like("%-csv"), sources.c.collector.like("%-sql"))
    )
    rows = bind.execute(
        sa.select(quarantine.c.id, quarantine.c.source, quarantine.c.location,
                  quarantine.c.reason, quarantine.c.raw)
        .where(quarantine.c.raw != "", quarantine.c.source.in_(mapped))
        .order_by(quarantine.c.id)
    ).all()  # fmt: skip
    update = (
        sa.update(quarantine)
        .where(quarantine.c.id == sa.bindparam("row_id"))
        .values(fingerprint=sa.bindparam("print"))
    )
    for start in range(0, len(rows), _BATCH):
        bind.execute(
            update,
            [
                {"row_id": row.id, "print": _fingerprint(row.source, row.location, row.reason,
                                                         row.raw)}
                for row in rows[start : start + _BATCH]
            ],
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_index("ix_quarantine_fingerprint")
        batch.drop_column("fingerprint")
