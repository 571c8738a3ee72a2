"""Plain-text rendering of statuses for the terminal (``servicelevel status``)."""

from __future__ import annotations

from collections.abc import Sequence

from servicelevel.evaluate import Status

MARK = {"ideal": "IDEAL", "met": "met", "breach": "BREACH", "no_data": "no data", "stale": "STALE"}


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} %" if unit == "%" else f"{value:.0f} s"


def status_table(statuses: Sequence[Status]) -> str:
    rows = [("target", "scope", "window", "value", "min", "ideal", "volume", "status")]
    for s in statuses:
        unit = s.target.unit
        rows.append(
            (
                s.target.id,
                s.scope,
                s.window.label(),
                format_value(s.value, unit),
                format_value(s.target.minimum, unit),
                format_value(s.target.ideal, unit),
                str(s.kpi.volume),
                MARK[s.status],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
