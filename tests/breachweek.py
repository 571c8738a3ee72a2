"""A week of breaches whose every figure is worked out by hand, for the breach-model tests.

Week 2026-W47 (Mon 16 - Sun 22 Nov), Europe/Paris (CET, UTC+1), open Mon-Fri 08:00-18:00 and
Sat 09:00-12:00. Calls come in a few quarter hours only, so each window's counts can be read off
``QUARTERS``: (day, local start, queue, answered within 20 s, answered later, abandoned). Waits:
10 s within, 45 s later, abandons after 30 s (none is short).

By day and queue (``per_queue``: no all-queues figure), service level within 20 s (minimum 80 %,
ideal 90 %, min_volume 20):

=========  =================  ==============
day        support            sales
=========  =================  ==============
Mon 16     36/40 = 90 %       19/20 = 95 %
Tue 17     28/40 = 70 % B     19/20 = 95 %
Wed 18     30/40 = 75 % B     (no calls)
Thu 19     6/10: no data      (no calls)
Fri 20     31/40 = 77.5 % B   19/20 = 95 %
Sat 21     36/40 = 90 %       (no calls)
=========  =================  ==============

So ``answer-day`` has one breach, support Tue-Fri (Thursday, below min_volume, neither ends nor
extends it): 3 windows, 72 h of clock time (start Tue 00:00, end Sat 00:00), 30 h open,
customers ceil(32-28) + ceil(32-30) + ceil(32-31) = 4 + 2 + 1 = 7, worst 70 % (depth 10).

``answer-15min`` (all queues together, minimum 80 %, min_volume 5) breaches Tue 08:00
(12/20 = 60 %, ceil(16-12) = 4 customers), then Wed 17:45 (13/20 = 65 %, 3), Thu 08:00
(6/10 = 60 %, 2) and Fri 08:00 (15/20 = 75 %, 1): the closed nights between are not judged, so
these three are one breach of 45 min (open and clock; from Wed 17:45 to Fri 08:15), 6
customers, worst 60 % (Thu, the first deepest); Tue 08:15 and Fri 08:15 (16/20 = 80 %, exactly
the minimum) are met and end the runs.

``abandons`` (abandon rate per queue, at most 8 %) breaches on Wednesday, support: 4 of 40 =
10 %, the allowance floor(8 % x 40) = 3, so 1 customer beyond it, depth 2 points, 24 h of clock
time, 10 h open. Tuesday (2 of 40 = 5 %) is met.

Four breaches in all: 30 + 0.25 + 10 + 0.75 = 41 h of open hours, 7 + 4 + 1 + 6 = 18 customers.

``write_targets(minimum_15min=85)`` writes the file as it is after raising the quarter-hour
minimum to 85 % (see ``RAISED``); with the audit row of that edit, effective Thu 19 Nov, the
windows before keep 80 %: Tue 08:15 (80 %) stays met, Fri 08:15 (80 %) is a breach, and the
second breach becomes Wed 17:45 (3, under 80 %), Thu 08:00 (ceil(8.5-6) = 3), Fri 08:00
(ceil(17-15) = 2), Fri 08:15 (ceil(17-16) = 1): 4 windows, 1 h, 9 customers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.config import Targets, load_targets
from servicelevel.config.history import record_edit
from servicelevel.context import rollup_spec
from servicelevel.store import ingest
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups_job import ensure_rollups

TZ = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 11, 16)
AFTER = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday after, 08:00 in Paris

TARGETS_TOML = """\
[operation]
name = "Hand-worked centre"
timezone = "Europe/Paris"
short_abandon_seconds = 5

[business_hours]
monday = ["08:00", "18:00"]
tuesday = ["08:00", "18:00"]
wednesday = ["08:00", "18:00"]
thursday = ["08:00", "18:00"]
friday = ["08:00", "18:00"]
saturday = ["09:00", "12:00"]

[[target]]
id = "answer-day"
name = "Answered within 20 s, per day"
kpi = "service_level"
threshold_seconds = 20
per_queue = true
window = "day"
minimum = 80
ideal = 90
min_volume = 20

[[target]]
id = "answer-15min"
name = "Answered within 20 s, per quarter hour"
kpi = "service_level"
threshold_seconds = 20
window = "15min"
minimum = {minimum_15min}
ideal = 90
min_volume = 5

[[target]]
id = "abandons"
name = "Abandoned calls"
kpi = "abandon_rate"
per_queue = true
window = "day"
minimum = 8
ideal = 3
min_volume = 20
"""

# (day after MONDAY, local start, queue, within 20 s, answered later, abandoned)
QUARTERS = [
    (0, "08:00", "support", 18, 2, 0),
    (0, "08:15", "support", 18, 2, 0),
    (0, "12:00", "sales", 19, 1, 0),
    (1, "08:00", "support", 12, 6, 2),
    (1, "08:15", "support", 16, 4, 0),
    (1, "12:00", "sales", 19, 1, 0),
    (2, "08:00", "support", 17, 3, 0),
    (2, "17:45", "support", 13, 3, 4),
    (3, "08:00", "support", 6, 4, 0),
    (4, "08:00", "support", 15, 5, 0),
    (4, "08:15", "support", 16, 4, 0),
    (4, "12:00", "sales", 19, 1, 0),
    (5, "09:00", "support", 36, 4, 0),
]


# ``write_targets(extra=STRICT)`` adds a day target with a 96 % minimum, below it in both
# queues at once and over the week, for the weekly problems and ``report weekly --json``.
STRICT = """
[[target]]
id = "answer-day-strict"
name = "Answered within 20 s, per day, strict"
kpi = "service_level"
threshold_seconds = 20
per_queue = true
window = "day"
minimum = 96
ideal = 98
min_volume = 20
"""
# By hand, against 96 % (38.4 of 40 calls, 19.2 of 20), per day (breachweek's table):
#   support Mon 36/40 -> ceil(2.4) = 3, Tue 28 -> 11, Wed 30 -> 9, Thu no data, Fri 31 -> 8,
#           Sat 36 -> 3: one breach, Mon-Sat, 10 + 10 + 10 + 10 + 3 = 43 h open;
#   sales   Mon, Tue, Fri 19/20 -> 1 each: one breach, Mon-Fri (Wed, Thu no calls), 30 h open.
# Hours with a day below the minimum, either queue: Mon, Tue, Wed, Fri, Sat = 43 h of the
# week's 53 open hours (added up per queue it would be 73 h).
# The week, all queues: 224 of 270 in time, 82.96 % < 96 %: ceil(259.2 - 224) = 36.
# One service-level problem with answer-day and answer-15min, each day the larger count,
# queues added up against all queues together (answer-15min):
#   Mon 3 + 1 = 4; Tue max(4, 11) + 1 = 12 (15 min: 4); Wed max(2, 9) = 9 (3); Thu 2 (15 min);
#   Fri max(1, 8) + 1 = 9 (1); Sat 3: 39 over the days, against 36 for the week: 39.
STRICT_CUSTOMERS = 39


def local(day: int, hhmm: str) -> datetime:
    d = MONDAY + timedelta(days=day)
    hh, mm = (int(x) for x in hhmm.split(":"))
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=TZ)


RAISED = date(2026, 11, 19)  # the quarter-hour minimum goes from 80 % to 85 % from this day


def write_targets(folder: Path, *, minimum_15min: float = 80, extra: str = "") -> Path:
    path = folder / "targets.toml"
    path.write_text(TARGETS_TOML.format(minimum_15min=minimum_15min) + extra, encoding="utf-8")
    return path


def raise_the_quarter_hour_minimum(engine: Engine, folder: Path) -> Path:
    """The file with the new 85 % minimum and the audit row saying it applies from RAISED on
    (what the Targets page's save_edit writes)."""
    path = write_targets(folder, minimum_15min=85)
    with Session(engine) as session, session.begin():
        record_edit(
            session, actor="alice", target_id="answer-15min", effective_from=RAISED,
            old={"minimum": 80.0}, new={"minimum": 85.0},
            at=datetime(2026, 11, 18, 16, 0, tzinfo=UTC),
        )  # fmt: skip
    return path


def load(path: Path) -> Targets:
    result = load_targets(path)
    assert result.ok, [str(e) for e in result.errors]
    return result.unwrap()


def facts() -> list[CallFact]:
    out = []
    for day, hhmm, queue, within, late, abandoned in QUARTERS:
        start = local(day, hhmm)
        kinds = ["within"] * within + ["late"] * late + ["abandoned"] * abandoned
        for n, kind in enumerate(kinds):
            entered = (start + timedelta(seconds=8 * n)).astimezone(UTC)
            wait = {"within": 10.0, "late": 45.0, "abandoned": 30.0}[kind]
            out.append(
                CallFact(
                    source="breachweek",
                    callid=f"{queue}-{entered.timestamp():.0f}-{n}",
                    queue=queue,
                    entered_at=entered,
                    outcome="abandoned" if kind == "abandoned" else "answered",
                    wait_s=wait,
                    ended_at=entered + timedelta(seconds=wait + 60),
                )
            )
    return out


def fill(engine: Engine, targets: Targets) -> None:
    spec = rollup_spec(targets)
    ensure_rollups(engine, spec)  # as every importer does first
    with Session(engine) as session, session.begin():
        ingest.write_calls(session, facts(), spec)
        ingest.mark_source(session, "breachweek", collector="test", kind="calls")
