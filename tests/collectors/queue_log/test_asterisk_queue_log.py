"""Asterisk queue_log -> calls (servicelevel.collectors.queue_log.importer), on both databases.

Each test writes a small, hand-made queue_log. Times are written as Europe/Paris wall-clock
times and turned into Unix epochs by ``ts`` (plain datetime, no package code). Field orders
follow the Asterisk queue_log documentation (doc/queuelog.txt, docs.asterisk.org "Queue Logs").
Every import also checks the accounting identity read = stored + duplicates + quarantined.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.store import make_engine
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import (
    Call,
    IngestRun,
    OpenCall,
    Quarantine,
    QueueEvent,
    Rollup,
    RollupThreshold,
)

PARIS = ZoneInfo("Europe/Paris")
SPEC = RollupSpec.of(5, [20])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # "now" for the importer: after every line


def ts(local: str, fold: int = 0) -> int:
    """Unix time of a Paris wall-clock time 'YYYY-MM-DD HH:MM:SS' (fold=1: second pass)."""
    return int(datetime.fromisoformat(local).replace(tzinfo=PARIS, fold=fold).timestamp())


def write_log(path: Path, lines: list[str], *, newline_at_end: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def run(engine, path: Path, **options):
    """Import and check the run's accounting, both in the result and in its ingest_runs row."""
    options.setdefault("now", NOW)
    result = import_file(engine, path, SPEC, **options)
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        row = session.get(IngestRun, result.run_id)
        assert (row.read, row.stored, row.duplicates, row.quarantined) == (
            result.read,
            result.stored,
            result.duplicates,
            result.quarantined,
        )
        assert row.status == "ok"
    return result


def counts(result) -> tuple[int, int, int, int]:
    return result.read, result.stored, result.duplicates, result.quarantined


def calls(engine) -> dict[str, Call]:
    with Session(engine) as session:
        rows = session.execute(select(Call).order_by(Call.entered_at)).scalars().all()
        session.expunge_all()
    return {f"{row.callid}@{row.queue}": row for row in rows}


def call(engine, callid: str, queue: str = "sales") -> Call:
    return calls(engine)[f"{callid}@{queue}"]


def rollups(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                Rollup.queue,
                Rollup.interval_start,
                Rollup.offered,
                Rollup.answered,
                Rollup.abandoned,
                Rollup.short_abandoned,
                Rollup.unanswered_other,
            ).order_by(Rollup.queue, Rollup.interval_start)
        ).all()
    return [tuple(r) for r in rows]


def within(engine, threshold: float = 20.0) -> tuple[int, int]:
    with Session(engine) as session:
        row = session.execute(
            select(
                func.sum(RollupThreshold.answered_within),
                func.sum(RollupThreshold.abandoned_within),
            ).where(RollupThreshold.threshold_s == threshold)
        ).one()
    return int(row[0] or 0), int(row[1] or 0)


def quarantined(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Quarantine.location, Quarantine.reason).order_by(Quarantine.id)
        )
        return [tuple(r) for r in rows]


def events(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(QueueEvent.queue, QueueEvent.agent, QueueEvent.event).order_by(QueueEvent.at)
        )
        return [tuple(r) for r in rows]


def open_calls(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(OpenCall.callid).order_by(OpenCall.callid)).scalars())


def one_call(*outcome_lines: str, entered: str = "2026-11-23 10:00:00", callid: str = "c1"):
    enter = f"{ts(entered)}|{callid}|sales|NONE|ENTERQUEUE||0600000001|1"
    return [enter, *outcome_lines]


# --- short abandons and the threshold ---------------------------------------------------


def test_an_abandon_after_exactly_the_short_abandon_limit_is_not_short(engine, tmp_path):
    # short_abandon_seconds = 5: "wait < 5" is short, so a 5 s wait is a real abandon
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 5}|c1|sales|NONE|ABANDON|1|1|5"))
    run(engine, log)
    assert call(engine, "c1").outcome == "abandoned"
    assert call(engine, "c1").wait_s == 5
    # queue, interval, offered, answered, abandoned, short, other
    assert [r[2:] for r in rollups(engine)] == [(1, 0, 1, 0, 0)]


def test_an_abandon_under_the_short_abandon_limit_is_short(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 4}|c1|sales|NONE|ABANDON|1|1|4"))
    run(engine, log)
    # Stored as a call (it happened), but counted as a short abandon, not offered
    assert call(engine, "c1").outcome == "abandoned"
    assert [r[2:] for r in rollups(engine)] == [(0, 0, 0, 1, 0)]


def test_a_call_answered_exactly_at_t_counts_as_answered_within_t(engine, tmp_path):
    t1, t2 = ts("2026-11-23 10:00:00"), ts("2026-11-23 10:01:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t1}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{t1 + 20}|c1|sales|PJSIP/201|CONNECT|20|c1.5|3",  # exactly T = 20 s: within
            f"{t2}|c2|sales|NONE|ENTERQUEUE||0600000002|1",
            f"{t2 + 21}|c2|sales|PJSIP/201|CONNECT|21|c2.5|3",  # one second over
        ],
    )
    run(engine, log)
    assert within(engine) == (1, 0)
    assert call(engine, "c1").agent == "PJSIP/201"


def test_the_wait_of_an_answered_call_is_its_connect_holdtime(engine, tmp_path):
    # The CONNECT line is written 18 s after ENTERQUEUE but logs a holdtime of 17 s
    # (Asterisk counts the wait to the agent's answer, not to the log write): 17 it is.
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log", one_call(f"{t + 18}|c1|sales|PJSIP/201|CONNECT|17|c1.5|3")
    )
    run(engine, log)
    assert call(engine, "c1").wait_s == 17


# --- time: midnight and DST -------------------------------------------------------------


def test_a_call_entering_before_midnight_belongs_to_the_interval_it_entered(engine, tmp_path):
    # Enters Monday 23 Nov 23:59:50 Paris (22:59:50 UTC), answered Tuesday 00:00:30 (40 s)
    t = ts("2026-11-23 23:59:50")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{t + 40}|c1|sales|PJSIP/201|CONNECT|40|c1.5|3",
        ],
    )
    run(engine, log)
    [row] = rollups(engine)
    # The 23:45-24:00 Paris interval = 22:45 UTC on Monday, not Tuesday's first interval
    assert row[1] == datetime(2026, 11, 23, 22, 45, tzinfo=UTC)
    assert call(engine, "c1").ended_at == datetime(2026, 11, 23, 23, 0, 30, tzinfo=UTC)


def test_two_calls_in_the_repeated_hour_of_fall_back_are_two_calls(engine, tmp_path):
    # Same wall-clock time 02:30 on 25 Oct 2026, once in CEST (00:30 UTC), once in CET (01:30 UTC)
    first, second = ts("2026-10-25 02:30:00"), ts("2026-10-25 02:30:00", fold=1)
    assert second - first == 3600
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{first}|d1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{first + 10}|d1|sales|PJSIP/201|CONNECT|10|d1.5|3",
            f"{second}|d2|sales|NONE|ENTERQUEUE||0600000002|1",
            f"{second + 10}|d2|sales|PJSIP/201|CONNECT|10|d2.5|3",
        ],
    )
    run(engine, log, now=datetime(2026, 10, 26, tzinfo=UTC))
    assert [r[1] for r in rollups(engine)] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    ]


# --- outcomes in old and new formats ----------------------------------------------------


def test_exitwithtimeout_with_only_a_position_takes_the_wait_from_timestamps(engine, tmp_path):
    # Asterisk 1.4 logs EXITWITHTIMEOUT(position) only: wait = 10:05:00 - 10:00:00 = 300 s
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 300}|c1|sales|NONE|EXITWITHTIMEOUT|1"))
    run(engine, log)
    assert (call(engine, "c1").outcome, call(engine, "c1").wait_s) == ("timeout", 300)
    assert [r[2:] for r in rollups(engine)] == [(1, 0, 0, 0, 1)]  # offered, not abandoned


def test_exitwithtimeout_with_position_origposition_waittime_takes_the_logged_wait(
    engine, tmp_path
):
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log", one_call(f"{t + 301}|c1|sales|NONE|EXITWITHTIMEOUT|1|2|299")
    )
    run(engine, log)
    assert (call(engine, "c1").outcome, call(engine, "c1").wait_s) == ("timeout", 299)


def test_exitwithkey_with_key_and_position_takes_the_wait_from_timestamps(engine, tmp_path):
    # Old form EXITWITHKEY(key|position): 42 s between the lines
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 42}|c1|sales|NONE|EXITWITHKEY|1|2"))
    run(engine, log)
    assert (call(engine, "c1").outcome, call(engine, "c1").wait_s) == ("exitkey", 42)


def test_exitwithkey_with_its_waittime_takes_the_logged_wait(engine, tmp_path):
    # New form EXITWITHKEY(key|position|origposition|waittime): the key is 5, the wait 40 s
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log", one_call(f"{t + 42}|c1|sales|NONE|EXITWITHKEY|5|1|1|40")
    )
    run(engine, log)
    assert (call(engine, "c1").outcome, call(engine, "c1").wait_s) == ("exitkey", 40)


def test_exitempty_is_offered_but_neither_answered_nor_abandoned(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 3}|c1|sales|NONE|EXITEMPTY|1|1|3"))
    run(engine, log)
    assert call(engine, "c1").outcome == "exitempty"
    assert [r[2:] for r in rollups(engine)] == [(1, 0, 0, 0, 1)]


def test_ringnoanswer_is_counted_on_the_call_not_as_an_outcome(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log",
        one_call(
            f"{t + 15}|c1|sales|PJSIP/201|RINGNOANSWER|15000",
            f"{t + 30}|c1|sales|PJSIP/202|RINGNOANSWER|15000",
            f"{t + 35}|c1|sales|PJSIP/203|CONNECT|35|c1.9|4",
        ),
    )
    result = run(engine, log)
    c1 = call(engine, "c1")
    assert (c1.outcome, c1.ring_no_answer, c1.agent) == ("answered", 2, "PJSIP/203")
    assert counts(result) == (4, 4, 0, 0)


# --- talk time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "talk"),
    [
        ("COMPLETECALLER|12|95|1", 95),  # holdtime|calltime|origposition
        ("COMPLETEAGENT|12|96|1", 96),
        ("TRANSFER|200|from-internal|12|97|1", 97),  # extension|context|holdtime|calltime|pos
        ("BLINDTRANSFER|200|from-internal|12|98|1", 98),
        ("ATTENDEDTRANSFER|BRIDGE|2f4c-bridge|12|99|1", 99),  # method|data|holdtime|calltime|pos
        # LINK names two channels, so the call time is one field further right
        ("ATTENDEDTRANSFER|LINK|PJSIP/201-0001|Local/200@x-0002;1|12|100|1", 100),
        ("ATTENDEDTRANSFER|APP|Voicemail|12|101|1", 101),
    ],
)
def test_the_end_of_an_answered_call_gives_its_talk_time(engine, tmp_path, line, talk):
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log",
        one_call(
            f"{t + 12}|c1|sales|PJSIP/201|CONNECT|12|c1.5|1",
            f"{t + 12 + talk}|c1|sales|PJSIP/201|{line}",
        ),
    )
    result = run(engine, log)
    assert call(engine, "c1").talk_s == talk
    assert counts(result) == (3, 3, 0, 0)


def test_an_old_transfer_without_times_leaves_the_talk_time_unknown(engine, tmp_path):
    # Asterisk 1.2 logged TRANSFER(extension|context) only
    t = ts("2026-11-23 10:00:00")
    log = write_log(
        tmp_path / "queue_log",
        one_call(
            f"{t + 12}|c1|sales|PJSIP/201|CONNECT|12|c1.5",
            f"{t + 80}|c1|sales|PJSIP/201|TRANSFER|200|from-internal",
        ),
    )
    run(engine, log)
    assert call(engine, "c1").talk_s is None
    assert call(engine, "c1").outcome == "answered"


# --- agent and system events ------------------------------------------------------------


def test_agent_events_are_kept_in_queue_events(engine, tmp_path):
    t = ts("2026-11-23 08:00:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|MANAGER|sales|PJSIP/201|ADDMEMBER|",
            f"{t + 60}|NONE|sales|PJSIP/201|PAUSE|lunch",
            f"{t + 120}|NONE|sales|PJSIP/201|UNPAUSE|",
            f"{t + 180}|CLI|sales|PJSIP/201|REMOVEMEMBER|",
        ],
    )
    result = run(engine, log)
    assert events(engine) == [
        ("sales", "PJSIP/201", "ADDMEMBER"),
        ("sales", "PJSIP/201", "PAUSE"),
        ("sales", "PJSIP/201", "UNPAUSE"),
        ("sales", "PJSIP/201", "REMOVEMEMBER"),
    ]
    assert counts(result) == (4, 4, 0, 0)
    assert calls(engine) == {}


def test_system_events_of_queue_none_are_kept_in_queue_events(engine, tmp_path):
    t = ts("2026-11-23 07:00:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|NONE|NONE|NONE|QUEUESTART|",
            f"{t + 5}|NONE|NONE|NONE|CONFIGRELOAD|",
        ],
    )
    result = run(engine, log)
    assert events(engine) == [("NONE", "NONE", "QUEUESTART"), ("NONE", "NONE", "CONFIGRELOAD")]
    assert counts(result) == (2, 2, 0, 0)


# --- quarantine -------------------------------------------------------------------------


def test_an_unknown_event_is_quarantined_with_its_reason(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", [f"{t}|c1|sales|NONE|TELEPORT|1"])
    result = run(engine, log)
    assert quarantined(engine) == [("queue_log:1", "unknown event: 'TELEPORT'")]
    assert counts(result) == (1, 0, 0, 1)


def test_a_bad_timestamp_is_quarantined_with_its_reason(engine, tmp_path):
    log = write_log(tmp_path / "queue_log", ["yesterday|c1|sales|NONE|ENTERQUEUE||06|1"])
    run(engine, log)
    assert quarantined(engine) == [("queue_log:1", "bad timestamp: 'yesterday' is not a Unix time")]


def test_a_line_with_missing_fields_is_quarantined_with_its_reason(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", [f"{t}|c1|sales"])
    run(engine, log)
    [(location, reason)] = quarantined(engine)
    assert location == "queue_log:1"
    assert reason == "missing fields: expected at least 5 '|'-separated fields, got 3"


def test_an_outcome_without_enterqueue_is_quarantined_with_its_reason(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", [f"{t}|c9|sales|PJSIP/201|CONNECT|4|c9.5|1"])
    result = run(engine, log)
    assert quarantined(engine) == [("queue_log:1", "no ENTERQUEUE for this call")]
    assert counts(result) == (1, 0, 0, 1)
    assert calls(engine) == {}


def test_a_malformed_wait_is_quarantined_not_guessed(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    log = write_log(tmp_path / "queue_log", one_call(f"{t + 9}|c1|sales|NONE|ABANDON|1|1|nine"))
    result = run(engine, log)
    assert quarantined(engine) == [
        ("queue_log:2", "bad waittime: 'nine' is not a number of seconds")
    ]
    # The ENTERQUEUE alone is a call still waiting (the outcome line was unusable)
    assert counts(result) == (2, 1, 0, 1)
    assert open_calls(engine) == ["c1"]


def test_a_timestamp_in_the_future_is_quarantined(engine, tmp_path):
    far = int((NOW + timedelta(days=3)).timestamp())
    log = write_log(tmp_path / "queue_log", [f"{far}|c1|sales|NONE|ENTERQUEUE||06|1"])
    run(engine, log)
    [(_, reason)] = quarantined(engine)
    assert reason.startswith("timestamp in the future")


def test_an_empty_line_is_quarantined_so_the_count_still_adds_up(engine, tmp_path):
    t = ts("2026-11-23 07:00:00")
    log = write_log(tmp_path / "queue_log", [f"{t}|NONE|NONE|NONE|QUEUESTART|", ""])
    result = run(engine, log)
    assert quarantined(engine) == [("queue_log:2", "empty line")]
    assert counts(result) == (2, 1, 0, 1)


# --- calls that never end ---------------------------------------------------------------


def test_a_call_never_closed_is_quarantined_12_hours_after_the_newest_line(engine, tmp_path):
    # c1 enters 08:00 and is never heard of again; the newest line is 20:01, 12 h 1 min later
    t = ts("2026-11-23 08:00:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{t + 5}|c1|sales|PJSIP/201|RINGNOANSWER|5000",
            f"{t + 12 * 3600 + 60}|NONE|NONE|NONE|QUEUESTART|",
        ],
    )
    result = run(engine, log, final=True)
    [(location, reason)] = quarantined(engine)
    assert location == "call c1"
    assert reason.startswith("ENTERQUEUE never closed after 12:00:00")
    # Its two lines are quarantined; the QUEUESTART is stored
    assert counts(result) == (3, 1, 0, 2)
    assert open_calls(engine) == []
    assert calls(engine) == {}


def test_a_call_open_for_less_than_12_hours_stays_waiting(engine, tmp_path):
    t = ts("2026-11-23 08:00:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{t + 11 * 3600}|NONE|NONE|NONE|QUEUESTART|",
        ],
    )
    result = run(engine, log, final=True)
    assert quarantined(engine) == []
    assert open_calls(engine) == ["c1"]
    assert counts(result) == (2, 2, 0, 0)


def test_a_follower_never_expires_calls(engine, tmp_path):
    t = ts("2026-11-23 08:00:00")
    log = write_log(
        tmp_path / "queue_log",
        [
            f"{t}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
            f"{t + 13 * 3600}|NONE|NONE|NONE|QUEUESTART|",
        ],
    )
    run(engine, log, final=False)
    assert open_calls(engine) == ["c1"]


# --- idempotence: twice, renamed, resumed -----------------------------------------------

# A clean log (no bad lines) with every kind of line: 14 lines, 4 calls.
# c1 answered + talk, c2 abandoned, c3 timeout (old format), c4 still waiting at the end.
T0 = ts("2026-11-23 09:00:00")
CLEAN = [
    f"{T0}|NONE|NONE|NONE|QUEUESTART|",
    f"{T0 + 10}|MANAGER|sales|PJSIP/201|ADDMEMBER|",
    f"{T0 + 60}|c1|sales|NONE|ENTERQUEUE||0600000001|1",
    f"{T0 + 75}|c1|sales|PJSIP/201|RINGNOANSWER|15000",
    f"{T0 + 80}|c1|sales|PJSIP/202|CONNECT|20|c1.5|5",
    f"{T0 + 90}|c2|support|NONE|ENTERQUEUE||0600000002|1",
    f"{T0 + 150}|c2|support|NONE|ABANDON|1|1|60",
    f"{T0 + 200}|c1|sales|PJSIP/202|COMPLETECALLER|20|120|1",
    f"{T0 + 300}|c3|sales|NONE|ENTERQUEUE||0600000003|1",
    f"{T0 + 310}|c4|sales|NONE|ENTERQUEUE||0600000004|2",
    f"{T0 + 320}|c4|sales|PJSIP/201|RINGNOANSWER|10000",
    f"{T0 + 330}|NONE|sales|PJSIP/201|PAUSE|break",
    f"{T0 + 600}|c3|sales|NONE|EXITWITHTIMEOUT|1",
    f"{T0 + 700}|c4|sales|PJSIP/203|RINGNOANSWER|10000",
]


def snapshot(engine) -> dict:
    """Everything an import leaves behind, without ids or run times."""
    with Session(engine) as session:
        rows = {
            "calls": sorted(
                (
                    c.callid,
                    c.queue,
                    c.entered_at,
                    c.outcome,
                    c.wait_s,
                    c.talk_s,
                    c.agent,
                    c.ring_no_answer,
                )
                for c in session.execute(select(Call)).scalars()
            ),
            "open": sorted(
                (o.callid, o.queue, o.entered_at, o.ring_no_answer)
                for o in session.execute(select(OpenCall)).scalars()
            ),
            "events": sorted(
                (e.at, e.queue, e.agent, e.event)
                for e in session.execute(select(QueueEvent)).scalars()
            ),
            "quarantine": sorted(q.reason for q in session.execute(select(Quarantine)).scalars()),
        }
    rows["rollups"] = rollups(engine)
    rows["within"] = within(engine)
    return rows


def test_the_clean_log_gives_the_hand_counted_calls(engine, tmp_path):
    result = run(engine, write_log(tmp_path / "queue_log", CLEAN))
    # 14 lines read, all stored: 3 events, 8 lines of the three ended calls, 3 of the
    # waiting c4; nothing is a duplicate or quarantined.
    assert counts(result) == (14, 14, 0, 0)
    c1, c2, c3 = call(engine, "c1"), call(engine, "c2", "support"), call(engine, "c3")
    assert (c1.outcome, c1.wait_s, c1.talk_s, c1.ring_no_answer) == ("answered", 20, 120, 1)
    assert (c2.outcome, c2.wait_s) == ("abandoned", 60)
    assert (c3.outcome, c3.wait_s) == ("timeout", 300)  # 09:10:00 - 09:05:00
    assert open_calls(engine) == ["c4"]
    assert len(events(engine)) == 3  # QUEUESTART, ADDMEMBER, PAUSE


def test_importing_the_same_file_twice_stores_nothing_the_second_time(engine, tmp_path):
    log = write_log(tmp_path / "queue_log", CLEAN)
    run(engine, log)
    before = snapshot(engine)
    second = run(engine, log)
    assert second.stored == 0
    assert snapshot(engine) == before


def test_the_same_lines_under_another_file_name_are_all_duplicates(engine, tmp_path):
    run(engine, write_log(tmp_path / "queue_log", CLEAN))
    before = snapshot(engine)
    again = run(engine, write_log(tmp_path / "queue_log.1", CLEAN))
    assert counts(again) == (14, 0, 14, 0)
    assert snapshot(engine) == before


def test_bad_lines_read_again_under_another_name_are_duplicates_too(engine, tmp_path):
    t = ts("2026-11-23 10:00:00")
    lines = [
        f"{t}|c9|sales|PJSIP/201|CONNECT|4|c9.5|1",  # no ENTERQUEUE
        f"{t + 1}|c1|sales|NONE|TELEPORT|",  # unknown event
        f"{t + 2}|c2|sales|NONE|ENTERQUEUE||0600000002|1",  # never closed ...
        f"{t + 3}|c2|sales|PJSIP/201|RINGNOANSWER|1000",
        f"{t + 13 * 3600}|NONE|NONE|NONE|QUEUESTART|",  # ... 13 h before the newest line
    ]
    first = run(engine, write_log(tmp_path / "queue_log", lines))
    # stored: QUEUESTART; quarantined: CONNECT, TELEPORT and the 2 lines of c2
    assert counts(first) == (5, 1, 0, 4)
    again = run(engine, write_log(tmp_path / "queue_log.1", lines))
    assert counts(again) == (5, 0, 5, 0)
    assert again.reasons == {}
    assert len(quarantined(engine)) == 3  # each problem is listed once


@pytest.mark.parametrize("cut", [3, 5, 8, 11, 13])
@pytest.mark.parametrize("final", [True, False])
def test_resuming_after_a_partial_import_gives_the_same_rows_as_one_import(
    engine, tmp_path, cut, final
):
    # Reference: the whole file at once, in a separate SQLite file (the snapshot holds no ids,
    # so it compares across databases).
    whole = make_engine(f"sqlite:///{tmp_path}/whole.db")
    try:
        run(whole, write_log(tmp_path / "whole", CLEAN))
        expected = snapshot(whole)
    finally:
        whole.dispose()
    # The same path read twice: first the first `cut` lines, then with the rest appended.
    log = write_log(tmp_path / "queue_log", CLEAN[:cut])
    first = run(engine, log, final=final, batch_lines=1)
    with log.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(CLEAN[cut:]) + "\n")
    second = run(engine, log, batch_lines=1)
    assert first.read + second.read == 14
    assert first.stored + second.stored == 14
    assert snapshot(engine) == expected


@pytest.mark.parametrize("batch_lines", [1, 2, 3, 5])
def test_batch_boundaries_do_not_change_what_is_stored(engine, tmp_path, batch_lines):
    reference = make_engine(f"sqlite:///{tmp_path}/reference.db")
    try:
        run(reference, write_log(tmp_path / "reference", CLEAN))
        expected = snapshot(reference)
    finally:
        reference.dispose()
    result = run(engine, write_log(tmp_path / "queue_log", CLEAN), batch_lines=batch_lines)
    assert counts(result) == (14, 14, 0, 0)
    assert snapshot(engine) == expected


def test_a_last_line_without_newline_waits_until_the_file_has_settled(engine, tmp_path):
    """Issue 11, finding 2: the one-off import read the line while it was being written."""
    log = write_log(tmp_path / "queue_log", CLEAN[:3], newline_at_end=False)
    follower = run(engine, log, final=False)
    assert follower.read == 2  # the ENTERQUEUE of c1 may still be being written
    final = run(engine, log, final=True)
    assert final.read == 0  # just written: so may it be too
    assert any("left 1 unfinished line (49 bytes) unread" in note for note in final.notes)
    os.utime(log, (1_000_000_000, 1_000_000_000))  # nobody wrote to it for years: complete
    final = run(engine, log, final=True)
    assert final.read == 1 and final.notes == []
    assert open_calls(engine) == ["c1"]


def test_a_rotated_file_with_a_new_inode_is_read_from_the_start(engine, tmp_path):
    log = write_log(tmp_path / "queue_log", CLEAN[:2])
    run(engine, log)
    # logrotate: the old file moves away and a new one takes the name
    log.rename(tmp_path / "queue_log.1")
    t = ts("2026-11-23 11:00:00")
    new = write_log(tmp_path / "queue_log", [f"{t}|NONE|NONE|NONE|QUEUESTART|"])
    result = run(engine, new)
    assert counts(result) == (1, 1, 0, 0)
