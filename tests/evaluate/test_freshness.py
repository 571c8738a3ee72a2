"""Staleness by data time (issue 12, finding 5): a source whose newest fact is older than its
``stale_after_minutes`` of *open* time is stale, however recently it was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import load_targets, parse_targets
from servicelevel.context import rollup_spec
from servicelevel.evaluate import evaluate_at
from servicelevel.evaluate.freshness import open_time_between, read_freshness
from servicelevel.store import make_engine

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PARIS = ZoneInfo("Europe/Paris")
# The shipped policy: Monday-Friday 07:30-19:00, Saturday 09:00-13:00, Sunday and FR holidays
# closed.
SHIPPED = load_targets(ROOT / "targets.toml").unwrap()
NEWEST_LINE = datetime(2026, 11, 23, 23, 1, 30, tzinfo=UTC)  # queue_log_paris's last line


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


HOUR = timedelta(hours=1)


def test_open_time_skips_nights_and_closed_days():
    saturday_last = paris("2026-11-28T12:58")  # two minutes before Saturday's closing
    assert open_time_between(SHIPPED, saturday_last, paris("2026-11-29T18:00"), HOUR) == (
        timedelta(minutes=2)  # Sunday is closed
    )
    monday = paris("2026-11-30T07:43")
    assert open_time_between(SHIPPED, saturday_last, monday, HOUR) == timedelta(minutes=15)
    assert open_time_between(SHIPPED, saturday_last, monday + timedelta(minutes=1), HOUR) == (
        timedelta(minutes=16)
    )


def test_open_time_skips_a_public_holiday_and_is_capped():
    # Friday 25 Dec 2026 is Christmas: from Thursday's close to Saturday's opening nothing runs
    thursday_close = paris("2026-12-24T19:00")
    assert open_time_between(SHIPPED, thursday_close, paris("2026-12-26T08:00"), HOUR) == (
        timedelta()
    )
    since_2010 = open_time_between(SHIPPED, paris("2010-08-01T21:59"), paris("2026-12-02T10:00"),
                                   timedelta(minutes=16))  # fmt: skip
    assert since_2010 == timedelta(minutes=16)  # counted only as far as it matters


def test_open_round_the_clock_counts_wall_time_across_a_dst_change():
    always = parse_targets(
        '[operation]\ntimezone = "Europe/Paris"\n[[target]]\nid = "a"\nname = "a"\n'
        'kpi = "asa"\nminimum = 60\nideal = 20\n'
    ).unwrap()
    before = paris("2026-10-25T01:30")  # CEST; the clocks go back at 03:00
    after = paris("2026-10-25T03:30")  # CET: three real hours later
    assert open_time_between(always, before, after, 10 * HOUR) == 3 * HOUR


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    targets = load_targets(DATA / "targets_paris.toml").unwrap()
    import_file(engine, DATA / "queue_log_paris", rollup_spec(targets), now=NEWEST_LINE)
    yield engine
    engine.dispose()


def test_a_source_read_a_minute_ago_with_week_old_data_is_stale_since_its_newest_fact(engine):
    """Reads alone said "ok" here: the importer ran (the real clock) after any "now" below."""
    targets = load_targets(DATA / "targets_paris.toml").unwrap()
    later = NEWEST_LINE + timedelta(days=2)
    with Session(engine) as session:
        (source,) = read_freshness(session, targets, later).sources
    assert not source.silent and source.data_stale
    assert (source.state, source.stale_since) == ("stale", NEWEST_LINE)
    statuses = evaluate_at(engine, targets, later, now=later)
    assert {s.status for s in statuses} == {"stale"}
    assert {s.stale_since for s in statuses} == {NEWEST_LINE}


def test_a_per_source_stale_after_minutes_applies_to_that_source(engine, tmp_path):
    """A [[source]] table's stale_after_minutes beats the operation's for that source."""
    text = (DATA / "targets_paris.toml").read_text(encoding="utf-8")
    name = str(DATA / "queue_log_paris")  # the name a queue_log file is imported under
    text += f'\n[[source]]\nname = "{name}"\nkind = "asterisk-queue-log"\npath = "{name}"\n'
    targets = parse_targets(text + "stale_after_minutes = 4320\n").unwrap()  # three days
    later = NEWEST_LINE + timedelta(days=2)
    statuses = evaluate_at(engine, targets, later, now=later)
    assert "stale" not in {s.status for s in statuses}
    assert targets.stale_after("another") == timedelta(minutes=15)


def test_a_source_without_any_fact_does_not_vouch_for_one_with_old_facts():
    from servicelevel.evaluate.freshness import Freshness, SourceFreshness

    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    limit = timedelta(minutes=15)
    old = SourceFreshness("csv-2010", "calls", now, datetime(2010, 8, 1, tzinfo=UTC), False,
                          limit, silent=False, data_stale=True)  # fmt: skip
    empty = SourceFreshness("pbx", "calls", now, None, False, limit, False, False)
    both = Freshness(now, (old, empty), frozenset({"calls"}), frozenset())
    assert both.of_kinds(("calls",)).stale
    assert both.of_kinds(("calls",)).since == datetime(2010, 8, 1, tzinfo=UTC)
    alone = Freshness(now, (empty,), frozenset(), frozenset())
    assert not alone.of_kinds(("calls",)).stale  # read a minute ago, nothing to be old
