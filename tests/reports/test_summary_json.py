"""``servicelevel report weekly --json``: the whole summary for scripts, checked key by key.

On the hand-worked week of ``tests/breachweek.py`` with its strict target (``bw.STRICT``),
whose every figure is worked out by hand there and in ``tests/test_breach_readers.py``; on an
empty store (NO DATA); and with a real SMTP server, to see that --json alone sends nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import breachweek as bw
import pytest
from click.testing import CliRunner
from mailsink import SmtpSink
from weekdata import WEEK, fill, load, write_targets

from servicelevel.cli import main
from servicelevel.store import make_engine

H = 3600
WEEK_KEYS = {"label", "timezone", "start", "end", "start_utc", "end_utc", "hours"}
TOP_KEYS = {"operation", "week", "verdict", "summary", "counts", "headline", "targets",
            "breaches", "problems", "complaints", "generated_at"}  # fmt: skip
TARGET_KEYS = {"id", "name", "kpi", "window", "per_queue", "unit", "higher_is_better", "value",
               "minimum", "ideal", "volume", "status", "label", "previous_value", "breaches",
               "open_seconds_below_minimum", "budget_allowed", "budget_spent",
               "budget_remaining", "budget_remaining_share", "budget_headroom",
               "ideal_budget_allowed", "ideal_budget_spent", "ideal_budget_remaining",
               "ideal_budget_remaining_share"}  # fmt: skip
PROBLEM_KEYS = {"rank", "title", "kind", "kpi", "scope", "customers_affected", "contacts",
                "below_minimum_for_week", "targets", "lines"}  # fmt: skip


def weekly(*args: str):
    result = CliRunner().invoke(main, ["report", "weekly", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def strict_week(tmp_path, sqlite_url):
    path = bw.write_targets(tmp_path, extra=bw.STRICT)
    engine = make_engine(sqlite_url)
    bw.fill(engine, bw.load(path))
    engine.dispose()
    return path, sqlite_url


def test_report_weekly_json_holds_the_hand_worked_week(strict_week):
    path, db_url = strict_week
    common = ["--db", db_url, "--targets", str(path)]
    out = json.loads(weekly(*common, "--week", "2026-W47", "--json").stdout)
    assert set(out) == TOP_KEYS
    assert out["operation"] == "Hand-worked centre"
    # Monday 16 to Monday 23 November, CET (UTC+1): 168 hours.
    assert out["week"] == {
        "label": "2026-W47", "timezone": "Europe/Paris",
        "start": "2026-11-16T00:00:00+01:00", "end": "2026-11-23T00:00:00+01:00",
        "start_utc": "2026-11-15T23:00:00Z", "end_utc": "2026-11-22T23:00:00Z", "hours": 168.0,
    }  # fmt: skip
    assert set(out["week"]) == WEEK_KEYS
    assert out["verdict"] == "BELOW MIN" and out["summary"] == "1 of 4 targets BELOW MIN"
    assert out["counts"] == {"targets": 4, "judged": 4, "below_minimum": 1, "no_data": 0}
    # Customers once across the call KPIs: the service-level days (39, see bw.STRICT) hold
    # the abandons' one caller (Wednesday support: max(2, 9, 1) = 9); 270 calls in the week.
    assert out["headline"] == {
        "targets_with_breaches": 4, "customers_affected": 39, "contacts": 270,
        "by_contact": {"calls": 39},
    }  # fmt: skip
    assert out["complaints"] == 0

    # Targets over the week, all queues: 224 of 270 calls in time, 6 of 270 abandoned; the
    # hours are each target's own (the strict one: 43 h, not 30 + 43 added per queue).
    in_time, abandoned = 100 * 224 / 270, 100 * 6 / 270
    assert all(set(t) == TARGET_KEYS for t in out["targets"])
    assert [(t["id"], t["value"], t["minimum"], t["ideal"], t["status"], t["label"], t["volume"],
             t["breaches"], t["open_seconds_below_minimum"]) for t in out["targets"]] == [
        ("answer-day", in_time, 80.0, 90.0, "met", "MET", 270, 1, 30 * H),
        ("answer-15min", in_time, 80.0, 90.0, "met", "MET", 270, 2, 1 * H),
        ("abandons", abandoned, 8.0, 3.0, "ideal", "IDEAL", 270, 1, 10 * H),
        ("answer-day-strict", in_time, 96.0, 98.0, "breach", "BELOW MIN", 270, 2, 43 * H),
    ]  # fmt: skip
    # The week's error budgets (docs/budgets.md), by hand: 46 of 270 late against 80 % allows
    # floor(0.2 x 270) = 54, 8 left; 224 / 0.8 - 270 = 10 more keep it. 6 abandons against
    # 8 %: floor(21.6) = 21 allowed, 15 left, (21.6 - 6) / 0.92 = 16.96 -> 16 more. At 96 %:
    # floor(10.8) = 10 allowed, 36 over; (259.2 - 224) / 0.04 = 880 in time needed.
    assert [(t["id"], t["budget_allowed"], t["budget_spent"], t["budget_remaining"],
             t["budget_headroom"], t["ideal_budget_allowed"], t["ideal_budget_remaining"])
            for t in out["targets"]] == [
        ("answer-day", 54, 46, 8, 10, 27, -19),
        ("answer-15min", 54, 46, 8, 10, 27, -19),
        ("abandons", 21, 6, 15, 16, 8, 2),
        ("answer-day-strict", 10, 46, -36, -880, 5, -41),
    ]  # fmt: skip

    # Breaches: the breach model's, field for field as status --breaches --json gives them:
    # the four of test_breach_readers plus the strict target's support (Mon-Sat, 5 days,
    # 3 + 11 + 9 + 8 + 3 = 34) and sales (Mon, Tue, Fri: 3) breaches.
    listed = json.loads(
        CliRunner()
        .invoke(main, ["status", "--breaches", *common, "--from", "2026-11-16",
                       "--to", "2026-11-23", "--json"])
        .stdout
    )  # fmt: skip
    assert out["breaches"] == listed
    assert [(b["target"], b["scope"], b["windows"], b["wall_seconds"], b["open_seconds"],
             b["customers_affected"]) for b in out["breaches"]] == [
        ("answer-day-strict", "sales", 3, 72 * H, 30 * H, 3),
        ("answer-day-strict", "support", 5, 120 * H, 43 * H, 34),
        ("answer-day", "support", 3, 72 * H, 30 * H, 7),
        ("answer-15min", "*", 1, 0.25 * H, 0.25 * H, 4),
        ("abandons", "support", 1, 24 * H, 10 * H, 1),
        ("answer-15min", "*", 3, 0.75 * H, 0.75 * H, 6),
    ]  # fmt: skip

    # Problems, one per KPI and scope, below the minimum for the week first.
    assert all(set(p) == PROBLEM_KEYS for p in out["problems"])
    sl, abandons = out["problems"]
    assert {k: v for k, v in sl.items() if k != "lines"} == {
        "rank": 1, "title": "Service level, all queues", "kind": "breach",
        "kpi": "service_level", "scope": "*", "customers_affected": 39, "contacts": 270,
        "below_minimum_for_week": True,
        "targets": [
            {"id": "answer-day", "customers_affected": 7, "breaches": 1,
             "open_seconds": 30 * H, "below_minimum_for_week": False},
            {"id": "answer-15min", "customers_affected": 10, "breaches": 2,
             "open_seconds": 1 * H, "below_minimum_for_week": False},
            {"id": "answer-day-strict", "customers_affected": 37, "breaches": 2,
             "open_seconds": 43 * H, "below_minimum_for_week": True},
        ],
    }  # fmt: skip
    assert len(sl["lines"]) == 3 and sl["lines"][2].startswith(
        "Answered within 20 s, per day, strict: 83.0 % over the week, below the minimum of 96.0 %"
    )
    assert abandons == {
        "rank": 2, "title": "Abandon rate, queue support", "kind": "breach",
        "kpi": "abandon_rate", "scope": "support", "customers_affected": 1, "contacts": 40,
        "below_minimum_for_week": False,
        "targets": [{"id": "abandons", "customers_affected": 1, "breaches": 1,
                     "open_seconds": 10 * H, "below_minimum_for_week": False}],
        "lines": ["Abandoned calls: 1 breach, 10 h of open hours, worst 10.0 % (Wed 18 Nov, "
                  "queue support) against 8.0 %; 1 customer affected"],
    }  # fmt: skip


def test_an_empty_week_says_no_data_in_json_too(tmp_path, sqlite_url):
    path = bw.write_targets(tmp_path)
    make_engine(sqlite_url).dispose()  # the schema, not one fact
    out = json.loads(
        weekly("--db", sqlite_url, "--targets", str(path), "--week", "2026-W47", "--json").stdout
    )
    assert out["verdict"] == "NO DATA"
    assert out["summary"] == "none of the 3 targets had data"
    assert out["counts"] == {"targets": 3, "judged": 0, "below_minimum": 0, "no_data": 3}
    assert [(t["status"], t["label"], t["value"]) for t in out["targets"]] == [
        ("no_data", "NO DATA", None)
    ] * 3
    assert out["breaches"] == [] and out["problems"] == []
    assert out["headline"]["customers_affected"] == 0


def test_json_sends_nothing_unless_send_is_asked_for_too(tmp_path, sqlite_url):
    with SmtpSink() as smtp:
        path = write_targets(tmp_path, smtp_port=smtp.port)
        engine = make_engine(sqlite_url)
        fill(engine, load(path), days=[WEEK])
        engine.dispose()
        common = ["--db", sqlite_url, "--targets", str(path), "--week", "2026-W47"]
        alone = weekly(*common, "--json")
        assert json.loads(alone.stdout)["week"]["label"] == "2026-W47"
        assert smtp.wait_for(1, timeout=1) == []
        sent = weekly(*common, "--json", "--send")
        # Standard output stays one JSON object; what the sending did goes to standard error.
        assert json.loads(sent.stdout)["week"]["label"] == "2026-W47"
        assert "2026-W47: sent to head.of.service@example.com" in sent.stderr
        assert len(smtp.wait_for(1)) == 1
    both = CliRunner().invoke(main, ["report", "weekly", *common, "--json", "--text"])
    assert both.exit_code == 2 and "either --json or --text" in both.output


def test_every_json_key_is_documented():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text()
    section = docs.split("`--json` prints the whole summary", 1)[1].split("### Sent once", 1)[0]
    for key in TOP_KEYS:
        assert f"| `{key}` |" in section, key
    for key in WEEK_KEYS | TARGET_KEYS | PROBLEM_KEYS | {"by_contact", "below_minimum"}:
        assert f"`{key}`" in section, key
