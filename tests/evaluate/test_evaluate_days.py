"""Day, week and month figures read from the day level (rollups_day) on SQLite and PostgreSQL.

Two things are checked on random calls around a DST change and a holiday: every figure equals
the KPI and status computed one figure at a time by :mod:`servicelevel.kpi.maths` from its counts
(the evaluation computes them as arrays), and the counts of every day, week and month window
equal those added up from the 15-minute rows, including a late call imported afterwards and a
month still in progress (``evaluate_at``).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from servicelevel.config import parse_targets
from servicelevel.context import rollup_spec
from servicelevel.evaluate import (
    ALL,
    call_kpi,
    counts_from_rollups,
    evaluate_at,
    evaluate_range,
)
from servicelevel.evaluate.status import judge
from servicelevel.store import make_engine, queries
from servicelevel.store.ingest import CallFact, write_calls
from servicelevel.store.rollups_job import ensure_rollups

HEAD = """
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
"""
SHAPES = [
    # kpi, extra keys, minimum, ideal
    ("service_level", 'threshold_seconds = 20\nabandons = "miss"', 80, 90),
    ("service_level", 'threshold_seconds = 30\nabandons = "ignore"', 33.3333, 80.5),
    ("service_level", 'threshold_seconds = 20\nabandons = "success_within_t"', 50, 60),
    ("abandon_rate", "", 25, 12.5),
    ("asa", "", 40, 20),
    ("longest_wait", "", 300, 95.5),
]
START = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)  # Paris changes to winter time on 25 Oct
DAYS = 28


def policy() -> str:
    out = [HEAD]
    n = 0
    for window in ("day", "week", "month", "hour"):
        for per_queue in (True, False):
            for kpi, extra, minimum, ideal in SHAPES:
                n += 1
                queues = '["a", "c"]' if n % 3 == 0 else '["*"]'
                out.append(
                    f'[[target]]\nid = "t{n}"\nname = "T{n}"\nkpi = "{kpi}"\n{extra}\n'
                    f"queues = {queues}\nper_queue = {str(per_queue).lower()}\n"
                    f'window = "{window}"\nminimum = {minimum}\nideal = {ideal}\n'
                    f"min_volume = {n % 4}\n"
                )
    return "\n".join(out)


TARGETS = parse_targets(policy()).unwrap()


def random_calls(seed: int, n: int, start: datetime = START, days: int = DAYS):
    rng = random.Random(seed)
    outcomes = ["answered"] * 6 + ["abandoned"] * 3 + ["timeout", "exitkey", "exitempty"]
    return [
        CallFact(
            source="test",
            callid=f"d{seed}-{i}",
            queue=rng.choice("abc"),
            entered_at=start + timedelta(seconds=rng.randrange(days * 86400)),
            outcome=rng.choice(outcomes),
            # Halves and integers keep float sums exact; 12.3 makes some ASA figures non-integral.
            wait_s=rng.choice([0, 4, 5, 6, 12.3, 19, 20, 21, 30, 31, 95.5, 400]),
        )
        for i in range(n)
    ]


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    spec = rollup_spec(TARGETS)
    ensure_rollups(engine, spec)
    facts = random_calls(seed=1, n=2500)
    for start in range(0, len(facts), 500):
        with Session(engine) as session, session.begin():
            write_calls(session, facts[start : start + 500], spec)
    yield engine
    engine.dispose()


def from_quarter_hours(engine, status):
    """The window's counts added up from the 15-minute rows, open intervals apart."""
    target = status.target
    queues = None if ALL in target.queues else list(target.queues)
    if status.scope != ALL:
        queues = [status.scope]
    with Session(engine) as session:
        frame = queries.call_rollups(session, status.window.start, status.window.end, queues)
    tz = TARGETS.operation.tz
    opened = frame["interval_start"].map(lambda s: TARGETS.is_open(s.astimezone(tz)))
    return counts_from_rollups(frame[opened.astype(bool)], frame[~opened.astype(bool)])


def same_counts(a, b) -> bool:
    fields = ("offered", "answered", "abandoned", "short_abandoned", "unanswered_other",
              "max_wait", "out_of_hours")  # fmt: skip
    if any(getattr(a, f) != getattr(b, f) for f in fields):
        return False
    # Sums of 12.3 s waits depend on the order of addition in the last bit (as the 15-minute
    # rows themselves do); sums of whole and half seconds are exact.
    if a.wait_sum_answered.is_integer() or b.wait_sum_answered.is_integer():
        if a.wait_sum_answered != b.wait_sum_answered:
            return False
    elif not math.isclose(a.wait_sum_answered, b.wait_sum_answered, rel_tol=1e-12):
        return False
    return all(
        a.answered_within.get(t, 0) == b.answered_within.get(t, 0)
        and a.abandoned_within.get(t, 0) == b.abandoned_within.get(t, 0)
        for t in (20.0, 30.0)
    )


def check(engine, statuses, *, against_quarter_hours: bool = True) -> int:
    compared = 0
    for status in statuses:
        # The array path gives what the one-figure-at-a-time definitions give, Fraction included.
        assert status.kpi == call_kpi(status.target, status.counts), status
        assert status.status == judge(status.target, status.kpi), status
        if against_quarter_hours and status.target.window != "hour":
            assert same_counts(status.counts, from_quarter_hours(engine, status)), status
            compared += 1
    return compared


def test_every_figure_equals_the_scalar_definitions_and_the_15_minute_rows(engine):
    statuses = evaluate_range(engine, TARGETS, date(2026, 10, 19), date(2026, 11, 16))
    assert len({s.status for s in statuses}) >= 4  # ideal, met, breach and no_data all occur
    assert any(s.value is not None and s.value != int(s.value) for s in statuses)
    assert check(engine, statuses) > 500


def test_a_late_call_updates_its_day_week_and_month(engine):
    first = date(2026, 10, 20)
    before = evaluate_range(engine, TARGETS, first, first + timedelta(days=1))
    late = CallFact(
        source="test", callid="late", queue="a", outcome="answered", wait_s=400,
        entered_at=datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    with Session(engine) as session, session.begin():
        write_calls(session, [late], rollup_spec(TARGETS))
    after = evaluate_range(engine, TARGETS, first, first + timedelta(days=1))
    changed = [
        (b, a) for b, a in zip(before, after, strict=True) if b.counts != a.counts
    ]  # fmt: skip
    assert changed
    assert all(a.counts.offered == b.counts.offered + 1 for b, a in changed)
    check(engine, after)


def test_a_month_in_progress_comes_from_today_s_day_row_too(engine):
    at = datetime(2026, 11, 10, 15, 7, tzinfo=UTC)
    statuses = evaluate_at(engine, TARGETS, at, now=at)
    month = [s for s in statuses if s.target.window == "month"]
    assert month and all(s.window.start < at < s.window.end for s in month)
    assert check(engine, month) == len(month)
