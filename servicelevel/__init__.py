"""servicelevel: does a contact centre keep its service-policy targets?

The public API, for using servicelevel as a library::

    import servicelevel

    targets = servicelevel.load_targets("targets.toml").unwrap()  # or read .errors, located
    engine = servicelevel.make_engine("sqlite:///servicelevel.db")
    for status in servicelevel.evaluate_at(engine, targets):
        print(status.target.id, status.scope, status.status, status.value)

Everything else (``servicelevel.store.ingest``, ``servicelevel.reports``, the collectors and
the dashboard) is importable too, but may change between releases.

Why the names load lazily: ``import servicelevel`` runs before every submodule import, the CLI's
included. Importing the evaluation engine here would pull pandas and SQLAlchemy into
``servicelevel --help`` and every light submodule, so each name imports its module on first use
(PEP 562). The ``TYPE_CHECKING`` block states the same names for type checkers and editors;
``tests/test_exported_members.py`` keeps the two lists and ``__all__`` equal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it. Point at the subpackage, not the module inside it, so
# splitting a module keeps this list right.
_LAZY: dict[str, str] = {
    "ConfigError": "servicelevel.errors",
    "ConfigIssue": "servicelevel.config",
    "DatabaseUnavailable": "servicelevel.errors",
    "DatabaseUrlInvalid": "servicelevel.errors",
    "IngestError": "servicelevel.errors",
    "LoadResult": "servicelevel.config",
    "ServicelevelError": "servicelevel.errors",
    "Status": "servicelevel.evaluate",
    "StoreError": "servicelevel.errors",
    "Target": "servicelevel.config",
    "Targets": "servicelevel.config",
    "TargetsInvalid": "servicelevel.errors",
    "TargetsWatcher": "servicelevel.config",
    "Window": "servicelevel.timeutil",
    "evaluate_at": "servicelevel.evaluate",
    "evaluate_range": "servicelevel.evaluate",
    "evaluate_windows": "servicelevel.evaluate",
    "load_targets": "servicelevel.config",
    "make_engine": "servicelevel.store",
    "parse_targets": "servicelevel.config",
    "upgrade_schema": "servicelevel.store",
}

if TYPE_CHECKING:
    from servicelevel.config import (
        ConfigIssue,
        LoadResult,
        Target,
        Targets,
        TargetsWatcher,
        load_targets,
        parse_targets,
    )
    from servicelevel.errors import (
        ConfigError,
        DatabaseUnavailable,
        DatabaseUrlInvalid,
        IngestError,
        ServicelevelError,
        StoreError,
        TargetsInvalid,
    )
    from servicelevel.evaluate import Status, evaluate_at, evaluate_range, evaluate_windows
    from servicelevel.store import make_engine, upgrade_schema
    from servicelevel.timeutil import Window
else:

    def __getattr__(name: str) -> Any:
        """Import the module that defines ``name`` on first access, then cache the name here."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_LAZY})


__all__ = [
    "ConfigError",
    "ConfigIssue",
    "DatabaseUnavailable",
    "DatabaseUrlInvalid",
    "IngestError",
    "LoadResult",
    "ServicelevelError",
    "Status",
    "StoreError",
    "Target",
    "Targets",
    "TargetsInvalid",
    "TargetsWatcher",
    "Window",
    "__version__",
    "evaluate_at",
    "evaluate_range",
    "evaluate_windows",
    "load_targets",
    "make_engine",
    "parse_targets",
    "upgrade_schema",
]
