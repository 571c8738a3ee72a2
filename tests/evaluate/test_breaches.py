"""The breach model: runs of breached windows, their durations and the customers affected.

Every expected number is worked out by hand in the comments (and, for the stored week, in the
docstring of ``tests/breachweek.py``), never read back from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import breachweek as bw
import pytest

from servicelevel.evaluate import Status, breaches_of, customers_affected, find_breaches
from servicelevel.evaluate.breaches import open_time
from servicelevel.evaluate.status import judge
from servicelevel.kpi import maths
from servicelevel.store import make_engine
from servicelevel.timeutil import INTERVAL, window_containing

TUE_0800 = bw.local(1, "08:00")


@pytest.fixture
def targets(tmp_path):
    return bw.load(bw.write_targets(tmp_path))


def quarter(targets, target_id: str, start: datetime, kpi: maths.KpiValue) -> Status:
    """One 15-minute window of ``target_id`` at local ``start``, judged as evaluate judges."""
    target = targets.target(target_id)
    window = window_containing("15min", start, targets.operation.tz)
    return Status(target, "*", window, kpi, judge(target, kpi))


def sl(targets, start: datetime, within: int, offered: int) -> Status:
    return quarter(targets, "answer-15min", start, maths.percent(within, offered))


# --- customers affected ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "offered", "expected"),
    [
        (12, 20, 4),  # 80 % of 20 = 16 successes needed: 4 missing
        (15, 20, 1),  # 16 - 15
        (7, 9, 1),  # 80 % of 9 = 7.2: 8 would be needed (7/9 = 77.8 %), one more
        (5, 9, 3),  # 7.2 - 5 = 2.2: three more (7 of 9 is still short)
        (0, 5, 4),  # 80 % of 5 = 4, none answered in time: 4 of the 5 calls
        (16, 20, 0),  # exactly 80 %: met, nobody is counted
    ],
)
def test_a_service_level_breach_counts_the_successes_missing(targets, within, offered, expected):
    assert customers_affected(sl(targets, TUE_0800, within, offered)) == expected


def test_fractions_are_exact(tmp_path):
    # 29 of 100 against a 29 % minimum: 29 / 100 * 100 is 28.999999999999996 in floats, yet met.
    path = bw.write_targets(tmp_path, minimum_15min=29)
    targets = bw.load(path)
    assert sl(targets, TUE_0800, 29, 100).status == "met"
    assert customers_affected(sl(targets, TUE_0800, 29, 100)) == 0
    # 80.1 % of 1000 is exactly 801: 800 answered in time need one more, not two.
    targets = bw.load(bw.write_targets(tmp_path, minimum_15min=80.1))
    assert customers_affected(sl(targets, TUE_0800, 800, 1000)) == 1


def test_a_lower_is_better_rate_counts_the_contacts_beyond_the_allowance(targets):
    day = window_containing("day", bw.local(2, "00:00"), targets.operation.tz)
    target = targets.target("abandons")  # at most 8 %

    def status(abandoned: int, offered: int) -> Status:
        kpi = maths.percent(abandoned, offered)
        return Status(target, "support", day, kpi, judge(target, kpi))

    assert customers_affected(status(4, 40)) == 1  # 8 % of 40 = 3.2 allowed: 3; one beyond
    assert customers_affected(status(10, 50)) == 6  # 4 allowed (8 % of 50, exactly)
    assert customers_affected(status(20, 25)) == 18  # 2 allowed (8 % of 25): 18 of the 20
    assert customers_affected(status(20, 20)) == 19  # 1.6 allowed: 1 whole call; 19 beyond
    assert customers_affected(status(4, 50)) == 0  # exactly 8 %: met


def test_waiting_times_count_callers_too(tmp_path):
    extra = """
[[target]]
id = "asa"
name = "Average speed of answer"
kpi = "asa"
window = "15min"
minimum = 60
ideal = 20
min_volume = 1

[[target]]
id = "longest"
name = "Longest wait"
kpi = "longest_wait"
window = "15min"
minimum = 300
ideal = 120
min_volume = 1
"""
    targets = bw.load(bw.write_targets(tmp_path, extra=extra))

    def asa(answered: int, wait_sum: float, longest: float | None) -> int:
        counts = maths.CallCounts(
            offered=answered, answered=answered, wait_sum_answered=wait_sum, max_wait=longest
        )
        kpi = maths.average_speed_of_answer(counts)
        target = targets.target("asa")
        window = window_containing("15min", TUE_0800, targets.operation.tz)
        return customers_affected(Status(target, "*", window, kpi, judge(target, kpi), counts))

    # 10 answered calls, 900 s of waiting: 90 s on average against 60, 300 s beyond 10 x 60.
    # No one waited more than 150 s, so a caller brought back to 60 s takes off at most 90 s:
    # at least ceil(300 / 90) = 4 callers would have needed to wait no longer than the minimum.
    assert asa(10, 900.0, 150.0) == 4
    # The same sums with a 360 s longest wait: ceil(300 / 300) = 1 caller could explain it.
    assert asa(10, 900.0, 360.0) == 1
    # 4 answered, 250 s: 62.5 s on average; 10 s beyond 240, longest 70 s: ceil(10 / 10) = 1.
    assert asa(4, 250.0, 70.0) == 1
    # 2 answered, 1000 s, longest 600 s: 880 s beyond, at most 540 each: both callers. (The
    # old count, 880 / 60 "callers' worth of the minimum", was 15 for these 2 calls, cut to 2.)
    assert asa(2, 1000.0, 600.0) == 2
    # Never more than the answered, whatever the sums: each wait is at most the longest.
    for answered, wait_sum, longest in [(1, 61.0, 61.0), (3, 3000.0, 1000.0), (50, 9000.0, 181.0)]:
        assert 1 <= asa(answered, wait_sum, longest) <= answered
    assert asa(3, 3000.0, 1000.0) == 3  # everyone waited 1000 s: all three
    # Met (exactly 60 s on average): nobody.
    assert asa(4, 240.0, 100.0) == 0
    # A longest wait is one caller's.
    long = maths.longest_wait(maths.CallCounts(offered=30, max_wait=420.0))
    assert customers_affected(quarter(targets, "longest", TUE_0800, long)) == 1


# --- runs ------------------------------------------------------------------------------------


def test_windows_without_data_neither_end_nor_extend_a_breach(targets):
    empty = maths.percent(0, 0)
    statuses = [
        sl(targets, bw.local(1, "17:30"), 12, 20),  # 60 %: breach
        sl(targets, bw.local(1, "17:45"), 3, 4),  # 4 calls, below min_volume 5: no data
        # Closed until Wednesday 08:00: no data.
        *[
            quarter(targets, "answer-15min", bw.local(1, "18:00") + INTERVAL * n, empty)
            for n in range(56)
        ],
        sl(targets, bw.local(2, "08:00"), 15, 20),  # 75 %: breach, the same run
        sl(targets, bw.local(2, "08:15"), 16, 20),  # 80 %: met, the run ends
        sl(targets, bw.local(2, "08:30"), 10, 20),  # 50 %: a second breach
    ]
    assert [s.status for s in statuses[:2]] == ["breach", "no_data"]
    first, second = breaches_of(reversed(statuses), targets)  # any order in
    assert first.windows == 2
    assert (first.start, first.end) == (bw.local(1, "17:30"), bw.local(2, "08:15"))
    # The unjudged 17:45 and the closed night count in no duration: 2 quarter hours.
    assert first.wall_time == first.open_time == timedelta(minutes=30)
    assert first.customers_affected == 4 + 1
    assert (first.worst_value, first.depth, first.minimum) == (60.0, 20.0, 80.0)
    assert second.windows == 1 and second.customers_affected == 6  # 16 - 10


def test_an_ongoing_breach_stops_its_durations_at_now(targets):
    statuses = [sl(targets, bw.local(1, "08:00"), 12, 20), sl(targets, bw.local(1, "08:15"), 1, 2)]
    assert statuses[1].status == "no_data"
    now = bw.local(1, "08:06").astimezone(UTC)
    (breach,) = breaches_of(statuses, targets, now=now)
    assert breach.ongoing and breach.end == bw.local(1, "08:15")
    assert breach.wall_time == breach.open_time == timedelta(minutes=6)
    (done,) = breaches_of(statuses, targets, now=bw.local(1, "09:00").astimezone(UTC))
    assert not done.ongoing and done.wall_time == timedelta(minutes=15)


def test_open_time_counts_business_hours_only(targets):
    # Friday 17:00 to Saturday 10:00: 1 h on Friday (to 18:00), 1 h on Saturday (from 09:00).
    assert open_time(bw.local(4, "17:00"), bw.local(5, "10:00"), targets) == timedelta(hours=2)
    # A part of a quarter hour counts as that part.
    start = bw.local(4, "17:50")
    assert open_time(start, start + timedelta(minutes=7), targets) == timedelta(minutes=7)
    # The whole Sunday is closed.
    assert open_time(bw.local(6, "00:00"), bw.local(7, "00:00"), targets) == timedelta()


# --- the stored week -------------------------------------------------------------------------


def summary(breaches):
    return [
        (b.target_id, b.scope, b.start.astimezone(bw.TZ).strftime("%a %H:%M"),
         b.end.astimezone(bw.TZ).strftime("%a %H:%M"), b.windows, b.wall_time / timedelta(hours=1),
         b.open_time / timedelta(hours=1), b.customers_affected, b.worst_value, b.depth)
        for b in breaches
    ]  # fmt: skip


HAND_WORKED = [
    ("answer-day", "support", "Tue 00:00", "Sat 00:00", 3, 72.0, 30.0, 7, 70.0, 10.0),
    ("answer-15min", "*", "Tue 08:00", "Tue 08:15", 1, 0.25, 0.25, 4, 60.0, 20.0),
    ("abandons", "support", "Wed 00:00", "Thu 00:00", 1, 24.0, 10.0, 1, 10.0, 2.0),
    ("answer-15min", "*", "Wed 17:45", "Fri 08:15", 3, 0.75, 0.75, 6, 60.0, 20.0),
]


def test_the_hand_worked_week_has_four_breaches(tmp_path, db_url):
    targets = bw.load(bw.write_targets(tmp_path))
    engine = make_engine(db_url)
    bw.fill(engine, targets)
    found = find_breaches(engine, targets, bw.MONDAY, bw.MONDAY + timedelta(days=7), now=bw.AFTER)
    engine.dispose()
    assert summary(found) == HAND_WORKED
    assert not any(b.ongoing for b in found)


def test_a_breach_spanning_an_edit_judges_each_window_by_its_own_minimum(tmp_path, sqlite_url):
    targets = bw.load(bw.write_targets(tmp_path))
    engine = make_engine(sqlite_url)
    bw.fill(engine, targets)
    targets = bw.load(bw.raise_the_quarter_hour_minimum(engine, tmp_path))
    found = find_breaches(
        engine, targets, bw.MONDAY, bw.MONDAY + timedelta(days=7), now=bw.AFTER,
        target_ids=["answer-15min"],
    )  # fmt: skip
    engine.dispose()
    first, second = found
    assert first.windows == 1 and first.minimum == 80.0  # Tuesday: the old minimum
    assert [s.target.minimum for s in second.statuses] == [80.0, 85.0, 85.0, 85.0]
    assert second.windows == 4 and second.customers_affected == 3 + 3 + 2 + 1
    # The worst window is Thursday's 60 %, 25 points under its 85 % minimum.
    assert (second.worst_value, second.minimum, second.depth) == (60.0, 85.0, 25.0)
    assert second.open_time == timedelta(hours=1)
