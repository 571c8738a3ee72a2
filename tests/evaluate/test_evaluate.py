"""Targets x windows -> statuses (servicelevel.evaluate), on a hand-made queue_log.

tests/data/queue_log_paris holds every call below (README.md there lists them line by line).
Monday 23 Nov 2026, Europe/Paris, T = 20 s, short abandons < 5 s:

    queue    entered   outcome             wait   within 20 s
    sales    09:00     answered            10     yes
    sales    09:05     answered            20     yes (exactly T)
    sales    09:10     answered            45     no
    sales    09:15     abandoned           30     no
    sales    09:20     abandoned           3      short abandon: left out
    sales    23:59:50  answered (00:00:30) 40     no, and it counts on Monday
    support  10:00     answered            5      yes
    support  10:05     timed out           300    no (old format: 10:10:00 - 10:05:00)
    support  10:10     abandoned           15     abandoned within T

offered 8 (sales 5, support 3); answered within 20 s: 3 (sales 2, support 1); abandoned 2
service level 3/8 = 37.5 %; sales 2/5 = 40 %; support 1/3 = 33.33 %
abandon rate 2/8 = 25 %; ASA (10 + 20 + 45 + 40 + 5) / 5 = 24 s; longest wait 300 s
Sunday 22 Nov (closed) and Tuesday 14 July 2026 (Bastille Day) each hold one call.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import load_targets, parse_targets
from servicelevel.context import rollup_spec
from servicelevel.evaluate import evaluate_at, evaluate_range
from servicelevel.store import make_engine

DATA = Path(__file__).resolve().parents[1] / "data"
PARIS = ZoneInfo("Europe/Paris")
IMPORTED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the importer's "now"
NEWEST_LINE = datetime(2026, 11, 23, 23, 1, 30, tzinfo=UTC)  # the log's last line


@pytest.fixture
def targets():
    return load_targets(DATA / "targets_paris.toml").unwrap()


@pytest.fixture
def engine(db_url, targets):
    engine = make_engine(db_url)
    import_file(engine, DATA / "queue_log_paris", rollup_spec(targets), now=IMPORTED_AT)
    yield engine
    engine.dispose()


def monday(engine, targets, *, now=None):
    """Every status of Monday 23 Nov 2026, keyed by (target, scope)."""
    statuses = evaluate_range(engine, targets, date(2026, 11, 23), date(2026, 11, 24), now=now)
    return {(s.target.id, s.scope): s for s in statuses}


def test_service_level_of_the_day_is_the_hand_counted_value(engine, targets):
    status = monday(engine, targets)[("sl-day", "*")]
    assert status.value == 37.5  # 3 / 8
    assert status.kpi.volume == 8
    assert status.status == "breach"  # 37.5 < 80


def test_the_breakdown_shows_the_counts_behind_the_value(engine, targets):
    breakdown = monday(engine, targets)[("sl-day", "*")].breakdown()
    assert breakdown["offered"] == 8
    assert breakdown["answered"] == 5
    assert breakdown["abandoned"] == 2
    assert breakdown["short_abandoned"] == 1
    assert breakdown["unanswered_other"] == 1
    assert breakdown["answered_within_t"] == 3
    assert breakdown["abandoned_within_t"] == 1  # the 15 s support abandon
    assert breakdown["out_of_hours"] == 0


def test_per_queue_gives_one_status_per_queue(engine, targets):
    statuses = monday(engine, targets)
    sales, support = statuses[("sl-queue", "sales")], statuses[("sl-queue", "support")]
    assert (sales.value, sales.kpi.volume) == (40.0, 5)  # 2 / 5
    assert support.value == pytest.approx(33.333333, abs=1e-6)  # 1 / 3
    assert support.kpi.volume == 3
    assert ("sl-queue", "*") not in statuses


@pytest.mark.parametrize(
    ("target", "value", "volume", "status"),
    [
        ("abandon-rate", 25.0, 8, "breach"),  # 2 / 8 = 25 % > 8 %
        ("asa", 24.0, 5, "met"),  # 120 s / 5 answered; 20 < 24 <= 60
        ("longest-wait", 300.0, 8, "met"),  # the timeout, exactly at the 300 s minimum
    ],
)
def test_lower_is_better_kpis_of_the_day(engine, targets, target, value, volume, status):
    result = monday(engine, targets)[(target, "*")]
    assert (result.value, result.kpi.volume, result.status) == (value, volume, status)


def test_a_call_answered_after_midnight_counts_on_the_day_it_entered(engine, targets):
    # The 23:59:50 call is Monday's; Tuesday 24 Nov has no call at all.
    tuesday = evaluate_range(engine, targets, date(2026, 11, 24), date(2026, 11, 25))
    sl = next(s for s in tuesday if s.target.id == "sl-day")
    assert (sl.value, sl.kpi.volume, sl.status) == (None, 0, "no_data")


def test_a_call_on_sunday_is_out_of_hours_and_the_day_has_no_data(engine, targets):
    sunday = evaluate_range(engine, targets, date(2026, 11, 22), date(2026, 11, 23))
    sl = next(s for s in sunday if s.target.id == "sl-day")
    assert (sl.value, sl.status) == (None, "no_data")
    assert sl.breakdown()["out_of_hours"] == 1


def test_a_call_on_a_public_holiday_is_out_of_hours(engine, targets):
    # Tuesday 14 July 2026 is Bastille Day: closed although Tuesdays are open
    holiday = evaluate_range(engine, targets, date(2026, 7, 14), date(2026, 7, 15))
    sl = next(s for s in holiday if s.target.id == "sl-day")
    assert (sl.value, sl.status) == (None, "no_data")
    assert sl.breakdown()["out_of_hours"] == 1


def test_evaluate_at_picks_the_window_holding_the_moment(engine, targets):
    at = datetime(2026, 11, 23, 15, 0, tzinfo=PARIS)
    statuses = evaluate_at(engine, targets, at, now=IMPORTED_AT)
    sl = next(s for s in statuses if s.target.id == "sl-day")
    assert sl.window.start_local.isoformat() == "2026-11-23T00:00:00+01:00"
    assert sl.value == 37.5


def test_a_range_gives_one_status_per_window(engine, targets):
    statuses = evaluate_range(
        engine, targets, date(2026, 11, 22), date(2026, 11, 25), target_ids=["sl-day"]
    )
    assert [(s.window.start_local.day, s.value) for s in statuses] == [
        (22, None),
        (23, 37.5),
        (24, None),
    ]


# --- stale sources ----------------------------------------------------------------------


def test_a_silent_source_makes_the_current_window_stale(engine, targets):
    # The import above marked the source read "now" (the real clock). Half an hour later,
    # with stale_after_minutes = 15, the window holding "now" is stale.
    later = datetime.now(UTC) + timedelta(minutes=30)
    statuses = evaluate_at(engine, targets, later, now=later)
    assert {s.status for s in statuses} == {"stale"}


def test_a_silent_source_does_not_make_past_windows_stale(engine, targets):
    later = datetime.now(UTC) + timedelta(minutes=30)
    statuses = monday(engine, targets, now=later)
    assert statuses[("sl-day", "*")].status == "breach"


def test_a_source_read_recently_is_not_stale(engine, targets):
    # Current by data time too (issue 12, finding 5): ten minutes after the newest line of the
    # log (Tuesday 00:01:30 in Paris, open all day), read after that.
    soon = NEWEST_LINE + timedelta(minutes=10)
    statuses = evaluate_at(engine, targets, soon, now=soon)
    assert "stale" not in {s.status for s in statuses}


# --- DST days (open 24/7: both 2026 changes fall on a Sunday) -----------------------------

OPEN_ALL_WEEK = """
[operation]
timezone = "Europe/Paris"

[[target]]
id = "sl-day"
name = "day"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90

[[target]]
id = "sl-hour"
name = "hour"
kpi = "service_level"
threshold_seconds = 20
window = "hour"
minimum = 80
ideal = 90
"""


def ts(local: str, fold: int = 0) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=PARIS, fold=fold).timestamp())


@pytest.fixture
def dst_engine(db_url, tmp_path):
    targets = parse_targets(OPEN_ALL_WEEK).unwrap()
    # Sunday 25 Oct 2026: 02:30 CEST, 02:30 CET (an hour later), and 23:30 CET, which a
    # 24-hour "day" starting at midnight CEST would miss (the day is 25 hours long).
    entries = [
        ("d1", ts("2026-10-25 02:30:00"), 10),
        ("d2", ts("2026-10-25 02:30:00", fold=1), 30),
        ("d3", ts("2026-10-25 23:30:00"), 10),
    ]
    lines = []
    for callid, t, wait in entries:
        lines.append(f"{t}|{callid}|sales|NONE|ENTERQUEUE||0600000001|1")
        lines.append(f"{t + wait}|{callid}|sales|PJSIP/201|CONNECT|{wait}|x|1")
    log = tmp_path / "queue_log"
    log.write_text("\n".join(lines) + "\n")
    engine = make_engine(db_url)
    import_file(engine, log, rollup_spec(targets), now=IMPORTED_AT)
    yield engine, targets
    engine.dispose()


def test_the_fall_back_day_holds_all_25_hours_of_calls(dst_engine):
    engine, targets = dst_engine
    statuses = evaluate_range(
        engine, targets, date(2026, 10, 25), date(2026, 10, 26), target_ids=["sl-day"]
    )
    [day] = statuses
    # 3 calls, 2 within 20 s (d1 10 s, d3 10 s; d2 waited 30 s) -> 66.67 %
    assert day.kpi.volume == 3
    assert day.value == pytest.approx(66.666667, abs=1e-6)
    assert day.window.end - day.window.start == timedelta(hours=25)


def test_the_repeated_hour_gives_two_hour_windows_with_one_call_each(dst_engine):
    engine, targets = dst_engine
    hours = evaluate_range(
        engine, targets, date(2026, 10, 25), date(2026, 10, 26), target_ids=["sl-hour"]
    )
    assert len(hours) == 25
    busy = [(s.window.start_local.isoformat(), s.value) for s in hours if s.kpi.volume]
    assert busy == [
        ("2026-10-25T02:00:00+02:00", 100.0),  # d1: 10 s
        ("2026-10-25T02:00:00+01:00", 0.0),  # d2: 30 s
        ("2026-10-25T23:00:00+01:00", 100.0),  # d3
    ]


# --- business hours are half-open, and a target can pick its queues --------------------

OFFICE_HOURS = """
[operation]
timezone = "Europe/Paris"

[business_hours]
monday = ["09:00", "17:00"]

[[target]]
id = "sl-day"
name = "day"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90

[[target]]
id = "sl-support"
name = "support only"
kpi = "service_level"
threshold_seconds = 20
queues = ["support"]
minimum = 80
ideal = 90
"""


@pytest.fixture
def office_engine(db_url, tmp_path):
    targets = parse_targets(OFFICE_HOURS).unwrap()
    # Monday 23 Nov 2026, every call answered after 10 s:
    #   08:59:59 sales    closed (before opening)
    #   09:00:00 sales    open (opening time is included)
    #   16:59:59 support  open
    #   17:00:00 support  closed (closing time is not included)
    entries = [
        ("o1", "sales", "08:59:59"),
        ("o2", "sales", "09:00:00"),
        ("o3", "support", "16:59:59"),
        ("o4", "support", "17:00:00"),
    ]
    lines = []
    for callid, queue, hms in entries:
        t = ts(f"2026-11-23 {hms}")
        lines.append(f"{t}|{callid}|{queue}|NONE|ENTERQUEUE||0600000001|1")
        lines.append(f"{t + 10}|{callid}|{queue}|PJSIP/201|CONNECT|10|x|1")
    log = tmp_path / "queue_log"
    log.write_text("\n".join(lines) + "\n")
    engine = make_engine(db_url)
    import_file(engine, log, rollup_spec(targets), now=IMPORTED_AT)
    yield engine, targets
    engine.dispose()


def test_business_hours_include_the_opening_time_and_exclude_the_closing_time(office_engine):
    engine, targets = office_engine
    statuses = evaluate_range(engine, targets, date(2026, 11, 23), date(2026, 11, 24))
    day = next(s for s in statuses if s.target.id == "sl-day")
    # o2 and o3 count, both within 20 s: 2 / 2 = 100 %; o1 and o4 are out of hours
    assert (day.value, day.kpi.volume) == (100.0, 2)
    assert day.breakdown()["out_of_hours"] == 2


def test_a_target_measures_only_the_queues_it_lists(office_engine):
    engine, targets = office_engine
    statuses = evaluate_range(engine, targets, date(2026, 11, 23), date(2026, 11, 24))
    support = next(s for s in statuses if s.target.id == "sl-support")
    # support: o3 counts, o4 is out of hours; the sales calls are not this target's
    assert (support.scope, support.kpi.volume, support.value) == ("*", 1, 100.0)
    assert support.breakdown()["out_of_hours"] == 1
