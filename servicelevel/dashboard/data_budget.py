"""The error budget as the dashboard words it: a Live tile's line, and Trends' budget series.

Why apart from :mod:`.data`: the figures are :mod:`servicelevel.evaluate.budget`'s (the same as
``status --json`` and the weekly email's); this module only turns them into the page's words and
rows, so the Live and Trends modules stay small.
"""

from __future__ import annotations

from servicelevel.evaluate import Status
from servicelevel.evaluate.budget import budget_of, budget_text, headroom_text


def budget_line(status: Status, when: str) -> tuple[str, str]:
    """(the tile's line, the detail under "How it is counted"); empty without a budget.

    ``when`` names the window as the tile does ("today", "this week"), so the line reads
    "12 more late answers today keep the minimum".
    """
    found = budget_of(status.target, status.kpi)
    if found is None:
        return "", ""
    return headroom_text(status.target, found, when), budget_text(status.target, found)
