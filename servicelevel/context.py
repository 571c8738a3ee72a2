"""Glue between the targets file and the store that several entry points need."""

from __future__ import annotations

from servicelevel.config import Targets
from servicelevel.store.rollups import RollupSpec


def rollup_spec(targets: Targets) -> RollupSpec:
    """What the rollups must count for these targets (thresholds, short-abandon limit)."""
    thresholds = targets.thresholds() or frozenset({20.0})
    return RollupSpec.of(targets.operation.short_abandon_seconds, thresholds)
