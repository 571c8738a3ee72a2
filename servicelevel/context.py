"""Glue between the targets file and the store that several entry points need."""

from __future__ import annotations

from servicelevel.config import Targets
from servicelevel.store.rollups import DayCalendar, RollupSpec


def rollup_spec(targets: Targets) -> RollupSpec:
    """What the rollups must count for these targets (thresholds, short-abandon limit), and the
    calendar (time zone, business hours, holidays) that groups them into local days."""
    thresholds = targets.thresholds() or frozenset({20.0})
    return RollupSpec.of(
        targets.operation.short_abandon_seconds, thresholds, DayCalendar.of(targets)
    )
