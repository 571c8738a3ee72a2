"""A small, deterministic contact centre for the report, alert and scheduler tests.

Two queues, ``sales`` (good service) and ``support`` (a bad Tuesday afternoon and a bad
Wednesday in week 2026-W47), open Monday to Friday 08:00-18:00 and Saturday 09:00-12:00,
Europe/Paris. Calls go in through ``servicelevel.store.ingest.write_calls``, the collectors'
own write path, so rollups are built exactly as in production.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from servicelevel.config import Targets, load_targets
from servicelevel.context import rollup_spec
from servicelevel.store import ingest
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import Complaint, Survey

TZ = ZoneInfo("Europe/Paris")
WEEK = date(2026, 11, 16)  # Monday of 2026-W47
PREVIOUS = WEEK - timedelta(days=7)

TARGETS_TOML = """\
[operation]
name = "Acme customer service"
timezone = "Europe/Paris"
short_abandon_seconds = 5
dashboard_url = "https://servicelevel.example.com/"

[business_hours]
monday = ["08:00", "18:00"]
tuesday = ["08:00", "18:00"]
wednesday = ["08:00", "18:00"]
thursday = ["08:00", "18:00"]
friday = ["08:00", "18:00"]
saturday = ["09:00", "12:00"]

[[target]]
id = "answer-20s"
name = "Calls answered within 20 s"
kpi = "service_level"
threshold_seconds = 20
per_queue = true
window = "day"
minimum = 80
ideal = 90
min_volume = 20

[[target]]
id = "answer-20s-15min"
name = "Answered within 20 s, per quarter hour"
kpi = "service_level"
threshold_seconds = 20
window = "15min"
minimum = 80
ideal = 90
min_volume = 5

[[target]]
id = "abandon-rate"
name = "Abandoned calls"
kpi = "abandon_rate"
per_queue = true
window = "day"
minimum = 8
ideal = 3
min_volume = 20

[[target]]
id = "asa"
name = "Average speed of answer"
kpi = "asa"
window = "day"
minimum = 60
ideal = 20
min_volume = 20

[[target]]
id = "complaint-satisfaction"
name = "Complainants satisfied"
kpi = "complaint_satisfaction"
window = "week"
minimum = 75
ideal = 90
min_volume = 5
"""

MAIL_TOML = """
[report.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Service level <servicelevel@example.com>"

[report.weekly]
day = "monday"
time = "07:00"
to = ["head.of.service@example.com", "team.leads@example.com"]
"""

HOURS = {0: (8, 18), 1: (8, 18), 2: (8, 18), 3: (8, 18), 4: (8, 18), 5: (9, 12)}


def write_targets(folder: Path, *, smtp_port: int | None = None, extra: str = "") -> Path:
    text = TARGETS_TOML
    if smtp_port is not None:
        text += MAIL_TOML.format(port=smtp_port)
    path = folder / "targets.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def load(path: Path) -> Targets:
    result = load_targets(path)
    assert result.ok, [str(e) for e in result.errors]
    return result.unwrap()


def quality(queue: str, day: date, hour: int) -> float:
    """Chance that a call is answered within 20 s."""
    if queue == "support" and day == WEEK + timedelta(days=1) and hour >= 14:
        return 0.45  # Tuesday afternoon: a system outage
    if queue == "support" and day == WEEK + timedelta(days=2):
        return 0.62  # Wednesday: half the team at a training
    if day < WEEK:
        return 0.86 if queue == "support" else 0.9
    return 0.9 if queue == "support" else 0.95


def calls_for(day: date, rng: random.Random) -> list[CallFact]:
    if day.weekday() not in HOURS:
        return []
    opens, closes = HOURS[day.weekday()]
    facts = []
    for hour in range(opens, closes):
        for quarter in range(4):
            start = datetime(day.year, day.month, day.day, hour, quarter * 15, tzinfo=TZ)
            for queue, per_interval in (("sales", 4), ("support", 5)):
                q = quality(queue, day, hour)
                for n in range(per_interval):
                    entered = (start + timedelta(seconds=60 * n + rng.randint(0, 50))).astimezone(
                        UTC
                    )
                    roll = rng.random()
                    if roll < q:
                        outcome, wait = "answered", rng.uniform(1, 19)
                    elif roll < q + (1 - q) * 0.55:
                        outcome, wait = "answered", rng.uniform(21, 140)
                    else:
                        outcome, wait = "abandoned", rng.uniform(6, 90)
                    facts.append(
                        CallFact(
                            source="weekdata",
                            callid=f"{queue}-{entered.timestamp():.0f}-{n}",
                            queue=queue,
                            entered_at=entered,
                            outcome=outcome,
                            wait_s=round(wait, 1),
                            ended_at=entered + timedelta(seconds=wait + 120),
                        )
                    )
    return facts


COMPLAINTS = (("late delivery", 14), ("damaged item", 6), ("billing error", 3))


def fill(engine: Engine, targets: Targets, days: list[date] | None = None, seed: int = 47) -> None:
    """Calls for every day of weeks 46 and 47 (or ``days``), complaints and surveys for W47."""
    rng = random.Random(seed)
    spec = rollup_spec(targets)
    ensure_rollups(engine, spec)  # as every importer does first: readers never build rollups
    days = days or [PREVIOUS + timedelta(days=i) for i in range(14)]
    with Session(engine) as session, session.begin():
        for day in days:
            ingest.write_calls(session, calls_for(day, rng), spec)
        ingest.mark_source(session, "weekdata", collector="test", kind="calls")
    complaints, surveys = [], []
    n = 0
    for nature, count in COMPLAINTS:
        for _ in range(count):
            n += 1
            opened = datetime(2026, 11, 16 + n % 6, 10, n % 60, tzinfo=TZ).astimezone(UTC)
            complaints.append({"complaint_key": f"C{n}", "opened_at": opened, "nature": nature})
            if n % 2:
                surveys.append(
                    {"survey_key": f"S{n}", "complaint_key": f"C{n}",
                     "answered_at": opened + timedelta(days=1), "score": 5 if n % 3 else 2}
                )  # fmt: skip
    with Session(engine) as session, session.begin():
        session.execute(insert(Complaint), complaints)
        session.execute(insert(Survey), surveys)
