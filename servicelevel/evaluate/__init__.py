"""Targets x windows -> status: the one place that turns stored counts into verdicts."""

from servicelevel.evaluate.core import (
    ALL,
    Status,
    call_kpi,
    counts_from_rollups,
    evaluate_at,
    evaluate_range,
    evaluate_windows,
)

__all__ = [
    "ALL",
    "Status",
    "call_kpi",
    "counts_from_rollups",
    "evaluate_at",
    "evaluate_range",
    "evaluate_windows",
]
