"""The ``burn_states`` migration creates what the schema declares (and ``alert_flips.details``),
on both databases, and goes back down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from servicelevel.store import make_engine, upgrade_schema
from servicelevel.store.engine import alembic_config
from servicelevel.store.schema import Base


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    return [d for d in diffs if "burn_states" in repr(d) or "alert_flips" in repr(d)]


def test_the_migration_creates_the_table_and_column_as_the_schema_declares(db_url):
    engine = make_engine(db_url)
    try:
        assert "burn_states" in inspect(engine).get_table_names()
        assert "details" in {c["name"] for c in inspect(engine).get_columns("alert_flips")}
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_the_migration_goes_down_and_up_again(db_url):
    from alembic import command

    engine = make_engine(db_url)
    try:
        cfg = alembic_config(engine)
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "r0150_assessments")
        assert "burn_states" not in inspect(engine).get_table_names()
        assert "details" not in {c["name"] for c in inspect(engine).get_columns("alert_flips")}
        upgrade_schema(engine)
        assert "burn_states" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
