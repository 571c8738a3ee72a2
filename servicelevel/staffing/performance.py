"""What a queue model predicts for one interval with a given number of agents.

One shape for both models, so a caller (the ``staffing`` command, later a dashboard view)
prints or plots Erlang C and Erlang A the same way. Rates are fractions (0.8884, not 88.84):
these are probabilities, and the percentages are made where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Performance:
    """The steady-state figures of one model at ``agents`` agents.

    ``service_level``: the share of *all* calls answered within the threshold (an abandoned
    call is a miss, as ``abandons = "miss"`` counts it in targets.toml). ``asa_s``: the mean
    wait of the answered calls, the KPI's definition of ASA. ``occupancy``: the share of the
    agents' time spent handling calls. ``abandon_rate`` is ``None`` for Erlang C, whose callers
    never hang up. An overloaded Erlang C queue (agents <= traffic) grows without end: its
    service level is 0, its ASA and wait infinite.
    """

    agents: int
    wait_probability: float
    service_level: float
    asa_s: float
    occupancy: float
    abandon_rate: float | None = None

    @property
    def stable(self) -> bool:
        """Whether the queue settles at all (always with abandonment; Erlang C needs N > A)."""
        return self.asa_s != float("inf")
