"""A whole day of queue_log in the documented Asterisk format, through the command line.

tests/data/queue_log_documented (87 lines) is NOT a capture from a real PBX: no public queue_log
with a known origin and licence was found (see tests/data/README.md). It is written line by line
from the documented format, mixing the Asterisk 1.4 line shapes (morning) and the Asterisk 13+
shapes (afternoon, after a restart), and it carries the faults a real file shows: a call
finishing after the midnight log rotation, a line cut short by a power loss, the orphaned end
of that call, and a call still waiting when the file ends.

Expected numbers were counted by hand from the call list in tests/data/README.md, then
recounted with an independent awk one-off (no servicelevel code), run on the file:

    awk -F'|' '...first outcome per (callid, queue); CONNECT wait = $6; ABANDON/EXITEMPTY
               wait = $8; EXITWITHTIMEOUT wait = $8 if present else time - ENTERQUEUE time;
               EXITWITHKEY wait = $9 if present else the same; day = [1794870000, 1794956400)'
    -> offered 23 short 2 answered 15 within 11 abandoned 3 (within T 2) other 5
       SL 47.826087  abandon 13.043478  ASA 16.800000  longest 300
       support: 5/7 = 71.428571   sales: 6/16 = 37.500000
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.cli import main
from servicelevel.store import make_engine
from servicelevel.store.schema import Call, OpenCall, Quarantine, QueueEvent

DATA = Path(__file__).resolve().parents[2] / "data"
LOG = DATA / "queue_log_documented"
TARGETS = str(DATA / "targets_paris.toml")
LATER = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # after the file; its day is long past


def quarantine_rows(db: str) -> int:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            return session.execute(select(func.count()).select_from(Quarantine)).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def imported(sqlite_url):
    runner = CliRunner()
    with time_machine.travel(LATER, tick=False):
        result = runner.invoke(
            main,
            [
                "import",
                "asterisk-queue-log",
                str(LOG),
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--no-progress",
            ],
        )
    assert result.exit_code == 0, result.output
    print(result.output)  # the accounting, for whoever runs pytest -s
    return sqlite_url, result.output


def test_the_accounting_of_the_sample_adds_up(imported):
    _, output = imported
    # 87 lines: 13 agent/system events + 70 lines of 25 ended calls + 1 line of the call
    # still waiting at 23:50 = 84 stored; 3 quarantined (explained below); no duplicate.
    assert f"{LOG}: read 87, stored 84, duplicates 0, quarantined 3" in output


def test_every_quarantined_line_of_the_sample_is_explained(imported):
    db, _ = imported
    result = CliRunner().invoke(main, ["quarantine", "--db", db])
    assert result.exit_code == 0, result.output
    explained = [
        # Line 1, 00:05:12: a call answered before midnight ends after the log was rotated;
        # its ENTERQUEUE and CONNECT are in yesterday's file, which was not imported.
        "queue_log_documented:1: COMPLETECALLER without CONNECT",
        # Line 38, 11:02:00: the power failed while Asterisk wrote this ENTERQUEUE; only
        # "epoch|callid|sales|NO" reached the disk.
        "queue_log_documented:38: missing fields: expected at least 5 '|'-separated fields, got 4",
        # Line 40, 11:40:30: after the restart, the caller of that cut line hangs up; without
        # its ENTERQUEUE this is no call we can count (offered, entered when?).
        "queue_log_documented:40: no ENTERQUEUE for this call",
    ]
    for line in explained:
        assert line in result.output
    assert quarantine_rows(db) == 3  # and nothing else


def test_status_json_of_the_sample_day_equals_the_independent_recount(imported):
    db, _ = imported
    with time_machine.travel(LATER, tick=False):
        result = CliRunner().invoke(
            main,
            ["status", "--json", "--db", db, "--targets", TARGETS, "--at", "2026-11-17T12:00"],
        )
    assert result.exit_code == 0, result.output
    got = {
        (s["target"], s["scope"]): (s["value"], s["volume"], s["status"])
        for s in json.loads(result.output)
    }
    assert got == {
        ("sl-day", "*"): (pytest.approx(47.826087, abs=1e-6), 23, "breach"),  # 11 / 23
        ("sl-queue", "sales"): (37.5, 16, "breach"),  # 6 / 16
        ("sl-queue", "support"): (pytest.approx(71.428571, abs=1e-6), 7, "breach"),  # 5 / 7
        ("abandon-rate", "*"): (pytest.approx(13.043478, abs=1e-6), 23, "breach"),  # 3 / 23
        ("asa", "*"): (16.8, 15, "ideal"),  # 252 s / 15 answered <= 20
        ("longest-wait", "*"): (300.0, 23, "met"),  # the 08:20 timeout, old format
    }


def test_the_sample_keeps_the_waiting_call_and_the_talk_times_of_both_formats(imported):
    db, _ = imported
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            talk = {callid: t for callid, t in session.execute(select(Call.callid, Call.talk_s))}
            waiting = list(session.execute(select(OpenCall.callid)).scalars())
            n_events = session.execute(select(func.count()).select_from(QueueEvent)).scalar_one()
    finally:
        engine.dispose()
    assert talk["1794901499.107"] == 75  # 1.4 TRANSFER(extension|context|holdtime|calltime)
    assert talk["1794917399.116"] == 240  # ATTENDEDTRANSFER|LINK|chan|chan|holdtime|calltime
    assert talk["1794923999.121"] == 300  # ATTENDEDTRANSFER|BRIDGE|id|holdtime|calltime
    assert waiting == ["1794955799.127"]  # entered 23:50, the file ends at 23:55
    assert n_events == 13
