"""``servicelevel status`` (servicelevel.cli.status) says why, issue 12 finding 5: a figure stale
by data time says since when, a "no data" figure says why, in the table and in ``--json``, as
the Live tiles do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from servicelevel.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TARGETS = str(DATA / "targets_paris.toml")
WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # two days after the log's last line
BANK = ROOT / ".." / "shared" / "data" / "anonymous-bank-callcentre-1day" / "calls_one_day.csv"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(sqlite_url, runner) -> str:
    """The Paris log imported on Wednesday at noon: read then, its newest line Monday night."""
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(
            main,
            ["import", "asterisk-queue-log", str(DATA / "queue_log_paris"), "--db", sqlite_url,
             "--targets", TARGETS, "--no-progress"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    return sqlite_url


def status(runner, db, *args: str, at: datetime = WEDNESDAY, targets: str = TARGETS):
    with time_machine.travel(at, tick=False):
        return runner.invoke(main, ["status", "--db", db, "--targets", targets, *args])


def test_a_source_read_minutes_ago_with_old_data_is_stale_since_its_newest_fact(runner, db):
    """Before, the read five minutes ago made today's grey figure look current ("no data")."""
    result = status(runner, db, "--json", at=WEDNESDAY + timedelta(minutes=5))
    assert result.exit_code == 0, result.output
    today = [s for s in json.loads(result.output) if s["target"] == "sl-day"]
    assert [(s["status"], s["stale_since"]) for s in today] == [
        ("stale", "2026-11-24T00:01:30+01:00")
    ]
    table = status(runner, db, at=WEDNESDAY + timedelta(minutes=5)).output
    assert "STALE   stale since 2026-11-24 00:01 CET" in table


def test_a_closed_sunday_says_so_in_json_and_in_the_table(runner, db):
    result = status(runner, db, "--json", "--at", "2026-11-22T12:00")
    sunday = next(s for s in json.loads(result.output) if s["target"] == "sl-day")
    assert sunday["status"] == "no_data"
    assert (sunday["no_data_reason"], sunday["no_data_text"]) == (
        "closed_day",
        "closed on Sundays; 1 call(s) outside business hours left out",
    )
    table = status(runner, db, "--at", "2026-11-22T12:00").output
    line = next(row for row in table.splitlines() if row.startswith("sl-day"))
    assert line.endswith("no data  closed on Sundays; 1 call(s) outside business hours left out")


@pytest.mark.skipif(not BANK.is_file(), reason="the shared data folder is missing")
def test_the_2010_bank_day_with_the_shipped_targets_explains_itself(runner, sqlite_url):
    """The finding as reported: a 2010 data set looked current, its Sunday had no reason."""
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday, open
    shipped = str(ROOT / "targets.toml")
    with time_machine.travel(now, tick=False):
        imported = runner.invoke(
            main,
            ["import", "calls-csv", str(BANK), "--mapping", str(ROOT / "examples" /
             "anonymous-bank.toml"), "--db", sqlite_url, "--targets", shipped, "--no-progress"],
        )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    current = json.loads(status(runner, sqlite_url, "--json", at=now, targets=shipped).output)
    calls = [s for s in current if s["kpi"] in ("service_level", "abandon_rate", "asa")]
    assert calls and {s["status"] for s in calls} == {"stale"}
    assert {s["stale_since"][:10] for s in calls} == {"2010-08-01"}
    sunday = status(runner, sqlite_url, "--json", "--at", "2010-08-01T12:00", at=now,
                    targets=shipped)  # fmt: skip
    day = next(s for s in json.loads(sunday.output) if s["target"] == "answer-20s")
    assert day["no_data_reason"] == "closed_day"
    assert day["no_data_text"].startswith("closed on Sundays; ")
    assert day["no_data_text"].endswith(" call(s) outside business hours left out")
