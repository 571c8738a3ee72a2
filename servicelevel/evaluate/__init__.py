"""Targets x windows -> status: the one place that turns stored counts into verdicts.

Modules by idea: :mod:`.windows` (the entry points: which target version judges which window),
:mod:`.frames` (rollup rows summed per window and scope), :mod:`.calls` (call KPIs as arrays),
:mod:`.facts` (returns, surveys, repurchase), :mod:`.status` (the Status row, judgement,
staleness), :mod:`.breaches` (runs of breached windows: the one breach model every reader
shows), :mod:`.budget` (a rate's error budget in contacts) and :mod:`.burn` (how fast it is
spent: burn rates and the rules that alert on them).
"""

from servicelevel.evaluate.breaches import Breach, breaches_of, customers_affected, find_breaches
from servicelevel.evaluate.calls import call_kpi
from servicelevel.evaluate.frames import counts_from_rollups
from servicelevel.evaluate.status import ALL, Status
from servicelevel.evaluate.windows import evaluate_at, evaluate_range, evaluate_windows

__all__ = [
    "ALL",
    "Breach",
    "Status",
    "breaches_of",
    "call_kpi",
    "counts_from_rollups",
    "customers_affected",
    "evaluate_at",
    "evaluate_range",
    "evaluate_windows",
    "find_breaches",
]
