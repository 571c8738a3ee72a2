"""What every collector returns: the accounting of one run.

``read = stored + duplicates + quarantined`` must hold for every run; it is how a user checks that
nothing was silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RunResult:
    source: str
    collector: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None
    expired_from_earlier_runs: int = 0
    updated: int = 0  # of the stored: rows that changed a fact already stored (same key)
    notes: list[str] = field(default_factory=list)  # things the user should know, e.g. a gap

    @property
    def balanced(self) -> bool:
        return self.read == self.stored + self.duplicates + self.quarantined

    def count_reason(self, reason: str, n: int = 1) -> None:
        # Reasons are grouped by their first clause so "bad holdtime 'x'" and "'y'" add up.
        head = reason.split(":")[0]
        self.reasons[head] = self.reasons.get(head, 0) + n

    def summary(self) -> str:
        line = (
            f"{self.source}: read {self.read}, stored {self.stored}, "
            f"duplicates {self.duplicates}, quarantined {self.quarantined}"
        )
        if self.updated:
            line += f"\n  of the stored, {self.updated} updated a fact already stored"
        if self.reasons:
            line += "\n  quarantined because: " + "; ".join(
                f"{reason} ({count})" for reason, count in sorted(self.reasons.items())
            )
        if self.expired_from_earlier_runs:
            line += (
                f"\n  {self.expired_from_earlier_runs} call(s) left waiting by earlier runs "
                "were never closed and are now quarantined"
            )
        for note in self.notes:
            line += f"\n  note: {note}"
        return line
