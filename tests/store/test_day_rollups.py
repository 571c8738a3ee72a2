"""The day level (rollups_day, rollup_day_thresholds) on SQLite and PostgreSQL.

The day rows are what a year of day, week and month figures is read from, so they are checked
three ways: against a recount of the raw calls written here (local day and business hours taken
from ``Targets.is_open``, not from the package's day mapping), against a regrouping of the
15-minute rows, and across a calendar change and the migration that created them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from servicelevel.config import parse_targets
from servicelevel.context import rollup_spec
from servicelevel.store import make_engine
from servicelevel.store.engine import upgrade_schema
from servicelevel.store.ingest import CallFact, write_calls
from servicelevel.store.rollups import META_KEY, DayCalendar, RollupSpec, stored_calendar
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.rollups_rebuild import rebuild_day_rollups
from servicelevel.store.schema import Call, Meta, Rollup, RollupDay, RollupDayThreshold

POLICY = """
[operation]
timezone = "Europe/Paris"
short_abandon_seconds = 5

[business_hours]
monday = ["07:30", "19:00"]
tuesday = ["07:30", "19:00"]
wednesday = ["07:30", "19:00"]
thursday = ["07:30", "19:00"]
friday = ["07:30", "24:00"]
saturday = ["09:00", "13:00"]
holidays = "FR"

[[target]]
id = "sl"
name = "SL"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90

[[target]]
id = "sl30"
name = "SL 30"
kpi = "service_level"
threshold_seconds = 30
minimum = 80
ideal = 90
"""
# 2026-10-25 is the 25-hour day in Paris, 2026-11-01 (a Sunday) and 2026-11-11 are holidays.
START = datetime(2026, 10, 22, 0, 0, tzinfo=UTC)
SPAN_HOURS = 24 * 22


def targets_of(text: str):
    return parse_targets(text).unwrap()


TARGETS = targets_of(POLICY)
SPEC = rollup_spec(TARGETS)


def random_calls(seed: int, n: int, start: datetime = START, hours: int = SPAN_HOURS):
    rng = random.Random(seed)
    outcomes = ["answered"] * 6 + ["abandoned"] * 3 + ["timeout", "exitkey", "exitempty"]
    return [
        CallFact(
            source="test",
            callid=f"s{seed}-{i}",
            queue=rng.choice(["a", "b", "c"]),
            entered_at=start + timedelta(seconds=rng.randrange(hours * 3600)),
            outcome=rng.choice(outcomes),
            # Integers and halves: float sums are then exact in any order.
            wait_s=rng.choice([0, 4, 5, 6, 19, 20, 21, 30, 31, 95.5, 400]),
        )
        for i in range(n)
    ]


def write(engine, facts, spec: RollupSpec = SPEC) -> None:
    ensure_rollups(engine, spec)
    with Session(engine) as session, session.begin():
        write_calls(session, facts, spec)


def recount(engine, targets, spec: RollupSpec = SPEC) -> dict:
    """Day rows the raw calls imply, by hand: local day of the quarter hour, Targets.is_open."""
    tz = targets.operation.tz
    out: dict = defaultdict(
        lambda: {
            "offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0,
            "unanswered_other": 0, "wait_sum_answered": 0.0, "max_wait": None,
            "aw": defaultdict(int), "bw": defaultdict(int),
        }
    )  # fmt: skip
    with Session(engine) as session:
        rows = session.execute(select(Call.queue, Call.entered_at, Call.outcome, Call.wait_s))
        for queue, entered_at, outcome, wait in rows:
            epoch = int(entered_at.timestamp())
            local = datetime.fromtimestamp(epoch - epoch % 900, UTC).astimezone(tz)
            r = out[(queue, local.date(), targets.is_open(local))]
            if outcome == "abandoned" and wait < spec.short_abandon_s:
                r["short_abandoned"] += 1
                continue
            r["offered"] += 1
            r["max_wait"] = wait if r["max_wait"] is None else max(r["max_wait"], wait)
            if outcome == "answered":
                r["answered"] += 1
                r["wait_sum_answered"] += wait
                for t in spec.thresholds:
                    r["aw"][t] += wait <= t
            elif outcome == "abandoned":
                r["abandoned"] += 1
                for t in spec.thresholds:
                    r["bw"][t] += wait <= t
            else:
                r["unanswered_other"] += 1
    for r in out.values():
        r["aw"] = {t: n for t, n in r["aw"].items() if n}
        r["bw"] = {t: n for t, n in r["bw"].items() if n}
    return dict(out)


def stored_days(engine) -> dict:
    out = {}
    with Session(engine) as session:
        for row in session.execute(select(RollupDay)).scalars():
            out[(row.queue, row.day, row.open)] = {
                "offered": row.offered, "answered": row.answered, "abandoned": row.abandoned,
                "short_abandoned": row.short_abandoned,
                "unanswered_other": row.unanswered_other,
                "wait_sum_answered": row.wait_sum_answered, "max_wait": row.max_wait,
                "aw": {}, "bw": {},
            }  # fmt: skip
        for row in session.execute(select(RollupDayThreshold)).scalars():
            r = out[(row.queue, row.day, row.open)]
            assert row.answered_within or row.abandoned_within  # no all-zero rows
            if row.answered_within:
                r["aw"][row.threshold_s] = row.answered_within
            if row.abandoned_within:
                r["bw"][row.threshold_s] = row.abandoned_within
    return out


def test_day_rows_kept_by_every_import_equal_a_recount_and_a_rebuild(engine):
    facts = random_calls(seed=1, n=1500)
    # Many batches, so day rows receive deltas many times, and the last batch is late data:
    # calls of the first days imported after the later days.
    late = [f for f in facts if f.entered_at < START + timedelta(days=3)]
    on_time = [f for f in facts if f.entered_at >= START + timedelta(days=3)]
    for start in range(0, len(on_time), 200):
        write(engine, on_time[start : start + 200])
    before_late = stored_days(engine)
    write(engine, late)
    kept = stored_days(engine)
    assert kept != before_late
    expected = recount(engine, TARGETS)
    assert kept == expected
    # The 25-hour day, a holiday, closed Sundays and open Friday nights are all there.
    assert any(day == date(2026, 10, 25) for _, day, _ in kept)
    assert any(day == date(2026, 11, 11) and not opened for _, day, opened in kept)
    assert not any(day == date(2026, 11, 11) and opened for _, day, opened in kept)
    with Session(engine) as session, session.begin():
        rebuild_day_rollups(session, SPEC.calendar)
    assert stored_days(engine) == kept


def test_a_calendar_change_regroups_the_15_minute_rows_without_reading_the_calls(engine):
    write(engine, random_calls(seed=2, n=800))
    other_policy = (
        POLICY.replace('"Europe/Paris"', '"America/New_York"')
        .replace('holidays = "FR"', 'holidays = "US"')
        .replace('saturday = ["09:00", "13:00"]', 'saturday = ["09:00", "17:00"]')
    )
    other = targets_of(other_policy)
    expected = recount(engine, other)
    with Session(engine) as session, session.begin():
        quarter_hours = session.execute(select(func.count()).select_from(Rollup)).scalar()
        # The calls are gone: only the 15-minute rows can give the new day rows.
        session.execute(delete(Call))
    spec = rollup_spec(other)
    assert spec.counting() == SPEC.counting() and spec.calendar != SPEC.calendar
    assert ensure_rollups(engine, spec) is False  # no rebuild from raw calls
    assert stored_days(engine) == expected
    with Session(engine) as session:
        assert stored_calendar(session) == spec.calendar
        assert session.execute(select(func.count()).select_from(Rollup)).scalar() == quarter_hours
    # Business hours alone are a calendar change too.
    back = targets_of(POLICY.replace('["07:30", "19:00"]', '["08:00", "18:00"]'))
    with Session(engine) as session, session.begin():
        session.execute(delete(RollupDay))  # would be visible if not rebuilt
    assert ensure_rollups(engine, rollup_spec(back)) is False
    assert stored_days(engine)
    assert ensure_rollups(engine, rollup_spec(back)) is False  # nothing changed: no rebuild


def test_a_new_threshold_rebuilds_both_levels_from_the_calls(engine):
    write(engine, random_calls(seed=3, n=300))
    wider = targets_of(POLICY.replace("threshold_seconds = 30", "threshold_seconds = 45"))
    assert ensure_rollups(engine, rollup_spec(wider)) is True
    days = stored_days(engine)
    assert days == recount(engine, wider, rollup_spec(wider))
    assert any(45.0 in r["aw"] for r in days.values())


def test_imports_without_a_calendar_keep_the_stored_one(engine):
    """Collectors given a spec without calendar still keep the day rows the store has."""
    write(engine, random_calls(seed=4, n=200))
    write(engine, random_calls(seed=5, n=200), RollupSpec.of(5, [20, 30]))
    assert stored_days(engine) == recount(engine, TARGETS)


def test_the_migration_leaves_day_rows_to_the_first_ensure_on_a_store_with_data(db_url):
    engine = make_engine(db_url, upgrade=False)
    try:
        upgrade_schema(engine, "r0110_rollup_time_index")
        facts = random_calls(seed=6, n=600)
        counting = SPEC.counting()  # what a collector of that time recorded
        with Session(engine) as session, session.begin():
            session.add(Meta(key=META_KEY, value=counting.signature()))
        for part in (facts[:300], facts[300:]):
            with Session(engine) as session, session.begin():
                write_calls(session, part, counting)
        upgrade_schema(engine)
        with Session(engine) as session:
            assert stored_calendar(session) is None
            assert session.execute(select(func.count()).select_from(RollupDay)).scalar() == 0
        assert ensure_rollups(engine, SPEC) is False  # filled from the 15-minute rows
        assert stored_days(engine) == recount(engine, TARGETS)
        with Session(engine) as session:
            assert stored_calendar(session) == SPEC.calendar
    finally:
        engine.dispose()


def test_the_day_mapping_agrees_with_targets_is_open_for_a_whole_year():
    tz = TARGETS.operation.tz
    calendar = DayCalendar.of(TARGETS)
    assert DayCalendar.from_signature(calendar.signature()) == calendar
    moment = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    seen_open = 0
    while moment < end:
        local = moment.astimezone(tz)
        opened = TARGETS.is_open(local)
        assert calendar.day_of(moment) == (local.date(), opened), moment
        seen_open += opened
        moment += timedelta(minutes=15)
    assert seen_open > 10_000
    always = DayCalendar.of(targets_of(POLICY.split("[business_hours]")[0] + POLICY[
        POLICY.index("[[target]]"):]))  # fmt: skip
    assert always.hours is None and always.day_of(end) == (end.date(), True)
