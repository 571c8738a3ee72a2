"""The policy as people write it: targets.toml models, loading with located issues, the watcher.

One idea a module: ``models`` (pydantic), ``loading`` (file -> models or located issues),
``issues`` (the issue type), ``translate`` (validation errors in words, at their line),
``locate`` (which line holds a key), ``watcher`` (live reload). Delivery settings
(``[report]``, ``[alerts]``) live in :mod:`servicelevel.config.delivery` (burn-rate rules,
``[alerts.burn_rate]``, in :mod:`servicelevel.config.burn_rate`), target history
(edits effective from a date) in :mod:`servicelevel.config.history`.
"""

from servicelevel.config.issues import ConfigIssue
from servicelevel.config.loading import LoadResult, load_targets, parse_targets
from servicelevel.config.locate import locate_line
from servicelevel.config.models import DAYS, BusinessHours, Operation, Target, Targets
from servicelevel.config.translate import validation_issues
from servicelevel.config.watcher import TargetsWatcher
from servicelevel.kpi.registry import CALL_KPIS, KPI_NAMES  # the KPI registry's names

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
    "validation_issues",
]
