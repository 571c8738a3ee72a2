"""15-minute rollups (servicelevel.store.rollups) on SQLite and PostgreSQL.

The rollups are the query surface of every call KPI, so they are checked against a recount of
the calls table written here from scratch, with no code from the package.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.store.ingest import CallFact, write_calls
from servicelevel.store.rollups import RollupSpec, stored_spec
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import Call, Rollup, RollupThreshold

BASE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning
SPEC = RollupSpec.of(5, [20])


def fact(callid, entered_at, outcome, wait_s, queue="sales"):
    return CallFact(
        source="test",
        callid=callid,
        queue=queue,
        entered_at=entered_at,
        outcome=outcome,
        wait_s=wait_s,
    )


def write(engine, facts, spec=SPEC):
    """Write calls the way a collector does: rollups made for ``spec``, then one batch."""
    ensure_rollups(engine, spec)
    with Session(engine) as session, session.begin():
        return write_calls(session, facts, spec)


def random_calls(seed: int, n: int) -> list[CallFact]:
    """Calls spread over 6 hours and 3 queues, with every outcome and waits around 5 and T."""
    rng = random.Random(seed)
    outcomes = ["answered"] * 6 + ["abandoned"] * 3 + ["timeout", "exitkey", "exitempty"]
    facts = []
    for i in range(n):
        entered = BASE + timedelta(seconds=rng.randrange(6 * 3600))
        # Waits on and around the interesting edges: 4, 5, 6 (short abandon), 19-21 and 30 (T)
        wait = rng.choice([0, 4, 5, 6, 19, 20, 21, 30, 31, 95.5, 400])
        facts.append(fact(f"c{i}", entered, rng.choice(outcomes), wait, rng.choice("abc")))
    return facts


def recount(engine, spec: RollupSpec) -> dict:
    """The rollups the calls table implies, counted by hand (plain Python over raw rows)."""
    out: dict = defaultdict(
        lambda: {
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "short_abandoned": 0,
            "unanswered_other": 0,
            "wait_sum_answered": 0.0,
            "max_wait": None,
            "answered_within": defaultdict(int),
            "abandoned_within": defaultdict(int),
        }
    )
    with Session(engine) as session:
        rows = session.execute(select(Call.queue, Call.entered_at, Call.outcome, Call.wait_s))
        for queue, entered_at, outcome, wait in rows:
            epoch = int(entered_at.timestamp())
            start = datetime.fromtimestamp(epoch - epoch % 900, UTC)
            r = out[(queue, start)]
            if outcome == "abandoned" and wait < spec.short_abandon_s:
                r["short_abandoned"] += 1
                continue
            r["offered"] += 1
            r["max_wait"] = wait if r["max_wait"] is None else max(r["max_wait"], wait)
            if outcome == "answered":
                r["answered"] += 1
                r["wait_sum_answered"] += wait
                for t in spec.thresholds:
                    r["answered_within"][t] += wait <= t
            elif outcome == "abandoned":
                r["abandoned"] += 1
                for t in spec.thresholds:
                    r["abandoned_within"][t] += wait <= t
            else:
                r["unanswered_other"] += 1
    return {k: normalised(v) for k, v in out.items()}


def normalised(r: dict) -> dict:
    return {
        **r,
        "wait_sum_answered": round(r["wait_sum_answered"], 6),
        "answered_within": {t: n for t, n in r["answered_within"].items() if n},
        "abandoned_within": {t: n for t, n in r["abandoned_within"].items() if n},
    }


def stored_rollups(engine) -> dict:
    out = {}
    with Session(engine) as session:
        for row in session.execute(select(Rollup)).scalars():
            out[(row.queue, row.interval_start)] = {
                "offered": row.offered,
                "answered": row.answered,
                "abandoned": row.abandoned,
                "short_abandoned": row.short_abandoned,
                "unanswered_other": row.unanswered_other,
                "wait_sum_answered": row.wait_sum_answered,
                "max_wait": row.max_wait,
                "answered_within": {},
                "abandoned_within": {},
            }
        for row in session.execute(select(RollupThreshold)).scalars():
            r = out[(row.queue, row.interval_start)]
            if row.answered_within:
                r["answered_within"][row.threshold_s] = row.answered_within
            if row.abandoned_within:
                r["abandoned_within"][row.threshold_s] = row.abandoned_within
    return {k: normalised(v) for k, v in out.items()}


def test_rollups_equal_a_brute_force_recount_of_the_calls(engine):
    facts = random_calls(seed=1, n=400)
    # Several batches, so intervals receive deltas more than once (the upsert path).
    for start in range(0, len(facts), 70):
        write(engine, facts[start : start + 70])
    expected = recount(engine, SPEC)
    assert sum(r["offered"] + r["short_abandoned"] for r in expected.values()) == 400
    assert stored_rollups(engine) == expected


def test_a_hand_made_interval_has_the_hand_counted_rollup(engine):
    at = BASE  # 08:00 UTC; all four calls enter in the 08:00-08:15 interval
    write(
        engine,
        [
            fact("a", at, "answered", 20),  # answered exactly at T: within
            fact("b", at + timedelta(minutes=1), "answered", 21),  # one second late
            fact("c", at + timedelta(minutes=2), "abandoned", 5),  # exactly 5 s: NOT short
            fact("d", at + timedelta(minutes=3), "abandoned", 4),  # under 5 s: short
            fact("e", at + timedelta(minutes=14, seconds=59), "timeout", 300),
        ],
    )
    [row] = stored_rollups(engine).values()
    assert row == {
        "offered": 4,  # a, b, c, e (d is a short abandon)
        "answered": 2,
        "abandoned": 1,
        "short_abandoned": 1,
        "unanswered_other": 1,
        "wait_sum_answered": 41.0,  # 20 + 21
        "max_wait": 300.0,  # the timeout; the short abandon is not offered
        "answered_within": {20.0: 1},  # a only
        "abandoned_within": {20.0: 1},  # c: 5 <= 20
    }


def test_a_new_threshold_rebuilds_the_rollups_from_the_calls(engine):
    facts = random_calls(seed=2, n=150)
    write(engine, facts)
    wider = RollupSpec.of(5, [20, 30])
    assert ensure_rollups(engine, wider) is True
    assert stored_rollups(engine) == recount(engine, wider)
    rows = stored_rollups(engine).values()
    assert any(30.0 in r["answered_within"] for r in rows)


def test_another_short_abandon_limit_rebuilds_with_the_new_limit(engine):
    at = BASE
    # Abandons after 3, 5, 7 and 12 s.
    write(engine, [fact(f"x{w}", at, "abandoned", w) for w in (3, 5, 7, 12)])
    assert [r["short_abandoned"] for r in stored_rollups(engine).values()] == [1]  # 3 < 5
    assert ensure_rollups(engine, RollupSpec.of(10, [20])) is True
    [row] = stored_rollups(engine).values()
    # Under 10 s: 3, 5 and 7 are short; 12 is a real abandon
    assert (row["short_abandoned"], row["abandoned"], row["offered"]) == (3, 1, 1)


def test_the_same_spec_does_not_rebuild(engine):
    write(engine, random_calls(seed=3, n=20))
    assert ensure_rollups(engine, SPEC) is False
    # A spec made from the same values in another order is the same spec.
    assert ensure_rollups(engine, RollupSpec.of(5.0, [20.0, 20])) is False


def test_the_spec_the_rollups_were_built_with_is_recorded(engine):
    ensure_rollups(engine, RollupSpec.of(6, [30, 20]))
    with Session(engine) as session:
        assert stored_spec(session) == RollupSpec(6.0, (20.0, 30.0))
