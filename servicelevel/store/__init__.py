"""The store: one door to the database (engine, schema, writes, queries)."""

from servicelevel.store.engine import make_engine, resolve_url, session_factory, upgrade_schema

__all__ = ["make_engine", "resolve_url", "session_factory", "upgrade_schema"]
