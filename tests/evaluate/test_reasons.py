"""Why "no data" (issue 12, finding 5): one function gives the reason the tiles and `status`
show: closed day, outside business hours, below min_volume, an unknown queue, no source."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import parse_targets
from servicelevel.context import rollup_spec
from servicelevel.evaluate import evaluate_at, evaluate_range
from servicelevel.evaluate.freshness import read_freshness
from servicelevel.evaluate.reasons import no_data_reason
from servicelevel.store import make_engine

DATA = Path(__file__).resolve().parents[1] / "data"
PARIS = ZoneInfo("Europe/Paris")
PARIS_TARGETS = (DATA / "targets_paris.toml").read_text(encoding="utf-8")
NEWEST_LINE = datetime(2026, 11, 23, 23, 1, 30, tzinfo=UTC)

# Office hours instead of the test file's 00:00-24:00, and the targets the reasons need.
OFFICE = (
    PARIS_TARGETS.replace('["00:00", "24:00"]', '["08:00", "18:00"]')
    + """
[[target]]
id = "sl-15"
name = "This quarter hour"
kpi = "service_level"
threshold_seconds = 20
window = "15min"
minimum = 80
ideal = 90

[[target]]
id = "busy-day"
name = "Needs twenty calls"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90
min_volume = 20

[[target]]
id = "typo-queue"
name = "A queue that does not exist"
kpi = "abandon_rate"
queues = ["salse"]
minimum = 8
ideal = 3

[[target]]
id = "returns"
name = "Return rate"
kpi = "return_rate"
window = "week"
minimum = 5
ideal = 2
"""
)


@pytest.fixture
def targets():
    return parse_targets(OFFICE).unwrap()


@pytest.fixture
def engine(db_url, targets):
    engine = make_engine(db_url)
    import_file(engine, DATA / "queue_log_paris", rollup_spec(targets), now=NEWEST_LINE)
    yield engine
    engine.dispose()


def reasons_at(engine, targets, moment: datetime, now: datetime | None = None):
    now = now or moment
    statuses = evaluate_at(engine, targets, moment, now=now)
    with Session(engine) as session:
        fresh = read_freshness(session, targets, now)
    return {(s.target.id, s.scope): no_data_reason(s, targets, fresh) for s in statuses}


def test_sunday_is_a_closed_day_with_the_calls_left_out(engine, targets):
    # Sunday 22 Nov 10:00: one call (left out: closed)
    got = reasons_at(engine, targets, datetime(2026, 11, 22, 12, 0, tzinfo=PARIS), NEWEST_LINE)
    reason = got[("sl-day", "*")]
    assert (reason.code, reason.text) == (
        "closed_day",
        "closed on Sundays; 1 call(s) outside business hours left out",
    )
    assert got[("sl-15", "*")].code == "closed_day"


def test_a_public_holiday_is_named(engine, targets):
    got = reasons_at(engine, targets, datetime(2026, 7, 14, 12, 0, tzinfo=PARIS), NEWEST_LINE)
    reason = got[("sl-day", "*")]
    assert reason.code == "closed_day"
    assert reason.text.startswith("closed: public holiday (")
    assert reason.text.endswith("; 1 call(s) outside business hours left out")


def test_a_quarter_hour_before_opening_is_outside_business_hours(engine, targets):
    got = reasons_at(engine, targets, datetime(2026, 11, 23, 7, 30, tzinfo=PARIS), NEWEST_LINE)
    assert got[("sl-15", "*")].code == "outside_hours"
    assert got[("sl-15", "*")].text == "outside business hours (08:00–18:00)"


def test_today_before_opening_says_when_it_opens(engine, targets):
    # Tuesday 24 Nov 07:00, "now": nothing counted yet today
    now = datetime(2026, 11, 24, 7, 0, tzinfo=PARIS)
    got = reasons_at(engine, targets, now)
    assert got[("sl-day", "*")].text == "not open yet: opens at 08:00"


def test_too_few_calls_says_how_many_of_how_many(engine, targets):
    statuses = evaluate_range(engine, targets, date(2026, 11, 23), date(2026, 11, 24),
                              now=NEWEST_LINE, target_ids=["busy-day"])  # fmt: skip
    with Session(engine) as session:
        fresh = read_freshness(session, targets, NEWEST_LINE)
    (status,) = statuses
    reason = no_data_reason(status, targets, fresh)
    # Office hours leave out Monday's call after 18:00: 7 of the log's 8 offered calls count.
    assert (reason.code, reason.text) == (
        "below_min_volume",
        "below min_volume: 7 of 20 offered calls; 1 call(s) outside business hours left out",
    )


def test_a_queue_never_seen_and_a_kpi_without_a_source_are_said_so(engine, targets):
    got = reasons_at(engine, targets, datetime(2026, 11, 23, 12, 0, tzinfo=PARIS), NEWEST_LINE)
    assert got[("typo-queue", "*")].code == "no_data_ever"
    assert got[("typo-queue", "*")].text == 'no call ever seen in queue "salse"'
    assert got[("returns", "*")].code == "no_source"
    assert got[("returns", "*")].text == "no source of orders or returns has been imported"


def test_a_figure_with_data_has_no_reason(engine, targets):
    got = reasons_at(engine, targets, datetime(2026, 11, 23, 12, 0, tzinfo=PARIS), NEWEST_LINE)
    assert got[("sl-day", "*")] is None  # 37.5 %: a breach, not "no data"


def test_nothing_imported_yet_is_no_data_ever(db_url, targets):
    from servicelevel.store import ingest

    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            ingest.mark_source(session, "pbx", collector="asterisk-queue-log", kind="calls")
        now = datetime.now(UTC) + timedelta(minutes=1)
        got = reasons_at(engine, targets, now)
    finally:
        engine.dispose()
    assert got[("sl-day", "*")].code == "no_data_ever"
    assert got[("sl-day", "*")].text == "no calls imported yet"
