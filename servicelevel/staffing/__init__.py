"""Staffing: how many agents an interval needs to meet a service-level target.

Pure maths on a forecast (calls, handling time, interval), no database and no I/O, like
:mod:`servicelevel.kpi`: the ``staffing`` command calls it, and a dashboard view can call
:func:`agents_needed` once per interval of a forecast.

* :mod:`.workload`: traffic intensity, the occupancy floor, shrinkage (exact ceilings)
* :mod:`.erlang_c`: Erlang B and C by the stable recurrence (callers never hang up)
* :mod:`.erlang_a`: Erlang A, callers with an exponential patience (log-space sums)
* :mod:`.performance`: the figures a model predicts for N agents
* :mod:`.plan`: the search for the fewest agents, :func:`agents_needed`

The formulas, with what each figure means, are in docs/staffing.md.
"""

from __future__ import annotations

from servicelevel.staffing.erlang_a import erlang_a_performance
from servicelevel.staffing.erlang_c import (
    erlang_b,
    erlang_c,
    erlang_c_performance,
    erlang_c_sweep,
)
from servicelevel.staffing.performance import Performance
from servicelevel.staffing.plan import Model, Staffing, StaffingTarget, agents_needed
from servicelevel.staffing.workload import (
    agents_for_occupancy,
    scheduled_staff,
    traffic_intensity,
)

__all__ = [
    "Model",
    "Performance",
    "Staffing",
    "StaffingTarget",
    "agents_for_occupancy",
    "agents_needed",
    "erlang_a_performance",
    "erlang_b",
    "erlang_c",
    "erlang_c_performance",
    "erlang_c_sweep",
    "scheduled_staff",
    "traffic_intensity",
]
