"""The policy as people write it: targets.toml models, loading with located issues, the watcher.

Delivery settings (``[report]``, ``[alerts]``) live in :mod:`servicelevel.config.delivery`, target
history (edits effective from a date) in :mod:`servicelevel.config.history`.
"""

from servicelevel.config.targets import (
    CALL_KPIS,
    DAYS,
    KPI_NAMES,
    BusinessHours,
    ConfigIssue,
    LoadResult,
    Operation,
    Target,
    Targets,
    TargetsWatcher,
    load_targets,
    locate_line,
    parse_targets,
)

__all__ = [
    "CALL_KPIS",
    "DAYS",
    "KPI_NAMES",
    "BusinessHours",
    "ConfigIssue",
    "LoadResult",
    "Operation",
    "Target",
    "Targets",
    "TargetsWatcher",
    "load_targets",
    "locate_line",
    "parse_targets",
]
