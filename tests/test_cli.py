"""The ``servicelevel`` command (servicelevel.cli) end to end, with click's CliRunner.

The numbers come from tests/data/queue_log_paris, worked out by hand in tests/test_evaluate.py
(Monday 23 Nov 2026: service level 3/8 = 37.5 %, sales 2/5 = 40 %, support 1/3 = 33.33 %).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from servicelevel.cli import main

DATA = Path(__file__).parent / "data"
TARGETS = str(DATA / "targets_paris.toml")
KEYS = {
    "target",
    "kpi",
    "scope",
    "window_start",
    "window_end",
    "value",
    "minimum",
    "ideal",
    "volume",
    "status",
    # the error budget (docs/budgets.md)
    "budget_allowed",
    "budget_spent",
    "budget_remaining",
    "budget_remaining_share",
    "budget_headroom",
    "ideal_budget_allowed",
    "ideal_budget_spent",
    "ideal_budget_remaining",
    "ideal_budget_remaining_share",
}
# A fixed "now" after every line of the log, so no line is "in the future" whatever the clock.
WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def db(sqlite_url, runner):
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(
            main,
            [
                "import",
                "asterisk-queue-log",
                str(DATA / "queue_log_paris"),
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--no-progress",
            ],
        )
    assert result.exit_code == 0, result.output
    return sqlite_url


def status_json(runner, db, *args: str) -> list[dict]:
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(main, ["status", "--json", "--db", db, "--targets", TARGETS, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_import_prints_the_accounting_of_the_file(sqlite_url, runner):
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(
            main,
            [
                "import",
                "asterisk-queue-log",
                str(DATA / "queue_log_paris"),
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--no-progress",
            ],
        )
    assert result.exit_code == 0, result.output
    # 35 lines, all usable: 11 calls (30 lines) + 5 agent/system events
    assert "read 35, stored 35, duplicates 0, quarantined 0" in result.output


def test_status_json_of_a_day_equals_the_hand_computed_object(runner, db):
    statuses = status_json(runner, db, "--at", "2026-11-23T12:00")
    sl = next(s for s in statuses if s["target"] == "sl-day")
    assert sl == {
        "target": "sl-day",
        "kpi": "service_level",
        "scope": "*",
        "window_start": "2026-11-23T00:00:00+01:00",
        "window_end": "2026-11-24T00:00:00+01:00",
        "value": 37.5,
        "minimum": 80,
        "ideal": 90,
        "volume": 8,
        "status": "breach",
        # 3 of 8 in time against 80 %: floor(0.2 x 8) = 1 miss allowed, 5 spent; 80 % needs
        # (0.8 x 8 - 3) / 0.2 = 17 answers in time in a row (20 / 25 = 80 %).
        "budget_allowed": 1,
        "budget_spent": 5,
        "budget_remaining": -4,
        "budget_remaining_share": -4.0,
        "budget_headroom": -17,
        # ideal 90 %: floor(0.1 x 8) = 0 allowed, so no share
        "ideal_budget_allowed": 0,
        "ideal_budget_spent": 5,
        "ideal_budget_remaining": -5,
        "ideal_budget_remaining_share": None,
    }


def test_status_json_has_exactly_the_documented_keys(runner, db):
    statuses = status_json(runner, db, "--at", "2026-11-23T12:00")
    assert len(statuses) == 6  # 5 targets; sl-queue has two queues
    assert all(set(s) == KEYS for s in statuses)


def test_status_json_values_of_every_target_on_monday(runner, db):
    statuses = status_json(runner, db, "--at", "2026-11-23T12:00")
    got = {(s["target"], s["scope"]): (s["value"], s["volume"], s["status"]) for s in statuses}
    assert got == {
        ("sl-day", "*"): (37.5, 8, "breach"),
        ("sl-queue", "sales"): (40.0, 5, "breach"),
        ("sl-queue", "support"): (pytest.approx(100 / 3), 3, "breach"),
        ("abandon-rate", "*"): (25.0, 8, "breach"),
        ("asa", "*"): (24.0, 5, "met"),
        ("longest-wait", "*"): (300.0, 8, "met"),
    }


def test_window_times_carry_the_summer_offset_in_summer(runner, db):
    statuses = status_json(runner, db, "--at", "2026-07-14T12:00")
    sl = next(s for s in statuses if s["target"] == "sl-day")
    assert sl["window_start"] == "2026-07-14T00:00:00+02:00"
    assert sl["window_end"] == "2026-07-15T00:00:00+02:00"
    # Bastille Day: closed, so the one call there is left out
    assert (sl["value"], sl["volume"], sl["status"]) == (None, 0, "no_data")


def test_an_at_with_an_offset_is_taken_as_that_instant(runner, db):
    # 2026-11-23T23:30:00Z is already Tuesday 00:30 in Paris
    statuses = status_json(runner, db, "--at", "2026-11-23T23:30:00+00:00")
    sl = next(s for s in statuses if s["target"] == "sl-day")
    assert sl["window_start"] == "2026-11-24T00:00:00+01:00"


def test_per_queue_targets_list_one_object_per_queue(runner, db):
    statuses = status_json(runner, db, "--at", "2026-11-23T12:00")
    assert [s["scope"] for s in statuses if s["target"] == "sl-queue"] == ["sales", "support"]


def test_from_to_gives_one_object_per_window(runner, db):
    statuses = status_json(runner, db, "--from", "2026-11-22", "--to", "2026-11-25")
    sl = [s for s in statuses if s["target"] == "sl-day"]
    # Sunday (closed), Monday, Tuesday (no call); --to is exclusive
    assert [(s["window_start"], s["value"]) for s in sl] == [
        ("2026-11-22T00:00:00+01:00", None),
        ("2026-11-23T00:00:00+01:00", 37.5),
        ("2026-11-24T00:00:00+01:00", None),
    ]
    # 3 days x (4 single-scope targets + 2 queues of sl-queue) = 18 objects
    assert len(statuses) == 18


def test_from_without_to_is_a_usage_error(runner, db):
    result = runner.invoke(
        main, ["status", "--db", db, "--targets", TARGETS, "--from", "2026-11-22"]
    )
    assert result.exit_code == 2
    assert "--from and --to go together" in result.output


def test_status_without_json_prints_a_table(runner, db):
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(
            main, ["status", "--db", db, "--targets", TARGETS, "--at", "2026-11-23T12:00"]
        )
    assert result.exit_code == 0, result.output
    assert "37.5 %" in result.output
    assert "BREACH" in result.output


def test_a_new_threshold_in_the_targets_applies_to_calls_already_imported(runner, db, tmp_path):
    # The log was imported with T = 20 only. Add T = 45: on Monday the answered waits are
    # 10, 20, 45, 40 and 5 s, all <= 45, so 5 of the 8 offered calls = 62.5 %.
    path = tmp_path / "targets.toml"
    path.write_text(
        (DATA / "targets_paris.toml").read_text()
        + '\n[[target]]\nid = "sl-45"\nname = "45 s"\nkpi = "service_level"\n'
        "threshold_seconds = 45\nminimum = 60\nideal = 70\n"
    )
    # status only reads: the rebuild is the worker's job, or `db rebuild`'s (issue 17).
    rebuilt = runner.invoke(main, ["db", "rebuild", "--db", db, "--targets", str(path)])
    assert rebuilt.exit_code == 0, rebuilt.output
    with time_machine.travel(WEDNESDAY, tick=False):
        result = runner.invoke(
            main,
            ["status", "--json", "--db", db, "--targets", str(path), "--at", "2026-11-23T12:00"],
        )
    assert result.exit_code == 0, result.output
    sl45 = next(s for s in json.loads(result.output) if s["target"] == "sl-45")
    assert (sl45["value"], sl45["volume"], sl45["status"]) == (62.5, 8, "met")


# --- stale ------------------------------------------------------------------------------


def test_a_stale_source_makes_the_current_window_stale_but_not_past_windows(sqlite_url, runner):
    # Imported on Tuesday 24 Nov at 12:00 UTC; asked at 13:00 UTC, an hour of silence later
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), tick=False):
        result = runner.invoke(
            main,
            [
                "import",
                "asterisk-queue-log",
                str(DATA / "queue_log_paris"),
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--no-progress",
            ],
        )
        assert result.exit_code == 0, result.output
    with time_machine.travel(datetime(2026, 11, 24, 13, 0, tzinfo=UTC), tick=False):
        result = runner.invoke(
            main,
            [
                "status",
                "--json",
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--from",
                "2026-11-23",
                "--to",
                "2026-11-25",
            ],
        )
    assert result.exit_code == 0, result.output
    sl = [s for s in json.loads(result.output) if s["target"] == "sl-day"]
    assert [(s["window_start"][:10], s["status"]) for s in sl] == [
        ("2026-11-23", "breach"),  # past: the figures are final
        ("2026-11-24", "stale"),  # holds "now", and the source has been silent for 60 min
    ]


# --- targets check ----------------------------------------------------------------------


def test_targets_check_accepts_a_good_file(runner):
    result = runner.invoke(main, ["targets", "check", TARGETS])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ok, 5 target(s)")


def test_targets_check_rejects_a_typo_with_one_located_line(runner, tmp_path):
    text = (
        (DATA / "targets_paris.toml")
        .read_text()
        .replace('kpi = "abandon_rate"', 'kpi = "abandon_rat"')
    )
    path = tmp_path / "targets.toml"
    path.write_text(text)
    # The typo is on line 41 of the file (counted in tests/data/targets_paris.toml), in the
    # third [[target]] table.
    assert text.splitlines()[40] == 'kpi = "abandon_rat"'
    result = runner.invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f'{path}:41: target[3].kpi: unknown KPI "abandon_rat"; expected one of service_level, '
        "abandon_rate, asa, longest_wait, return_rate, complaint_satisfaction, "
        'complainant_repurchase (did you mean "abandon_rate"?)',
        f"{path}: 1 error(s)",
    ]


def test_status_with_broken_targets_exits_2_with_the_error(runner, sqlite_url, tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text('[[target]]\nid = "x"\nname = "x"\nkpi = "asa"\nminimum = 60\n')
    result = runner.invoke(main, ["status", "--db", sqlite_url, "--targets", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: target[1].ideal: missing required key" in result.stderr


# --- other commands ---------------------------------------------------------------------


def test_db_upgrade_creates_the_schema(runner, sqlite_url):
    result = runner.invoke(main, ["db", "upgrade", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "schema up to date" in result.output


def test_quarantine_lists_the_bad_lines_with_their_reasons(runner, sqlite_url, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text("1795420800|c1|sales|NONE|TELEPORT|\n")
    with time_machine.travel(WEDNESDAY, tick=False):
        imported = runner.invoke(
            main,
            [
                "import",
                "asterisk-queue-log",
                str(log),
                "--db",
                sqlite_url,
                "--targets",
                TARGETS,
                "--no-progress",
                "--strict",
            ],
        )
    assert imported.exit_code == 3  # --strict: something was quarantined
    assert "read 1, stored 0, duplicates 0, quarantined 1" in imported.output
    result = runner.invoke(main, ["quarantine", "--db", sqlite_url, "--unmasked"])
    assert result.exit_code == 0, result.output
    assert "queue_log:1: unknown event: 'TELEPORT'" in result.output
    assert "1795420800|c1|sales|NONE|TELEPORT|" in result.output
    masked = runner.invoke(main, ["quarantine", "--db", sqlite_url])
    assert "queue_log:1: unknown event:" in masked.output
    assert "1795420800" not in masked.output  # a digit run is masked unless asked for
