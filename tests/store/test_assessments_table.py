"""The ``assessments`` migration creates the table the schema declares, on both databases,
and goes back down cleanly."""

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

    def about_assessments(diff) -> bool:
        text = repr(diff)
        return "assessments" in text

    return [d for d in diffs if about_assessments(d)]


def test_the_migration_creates_the_table_as_the_schema_declares_it(db_url):
    engine = make_engine(db_url)
    try:
        assert "assessments" in inspect(engine).get_table_names()
        assert _differences(engine) == []
        unique = inspect(engine).get_unique_constraints("assessments")
        assert [u["column_names"] for u in unique] == [["assessed_on", "author"]]
    finally:
        engine.dispose()


def test_the_migration_goes_down_and_up_again(db_url):
    from alembic import command

    engine = make_engine(db_url)
    try:
        cfg = alembic_config(engine)
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "r0140_quarantine_fingerprint")
        assert "assessments" not in inspect(engine).get_table_names()
        upgrade_schema(engine)
        assert "assessments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
