"""The weekly email's problems in one unit, customers affected, one per KPI and scope.

Three weeks: the real bank call-centre day (``../shared/data``, counted here from the file with
the csv module), the demo site, and the hand-worked week of ``tests/breachweek.py`` with one
more target that is below its minimum in both queues at once (every figure worked out below).
"""

from __future__ import annotations

import csv
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import breachweek as bw
import pytest
import tomlkit

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import load_mapping
from servicelevel.config import load_targets
from servicelevel.context import rollup_spec
from servicelevel.demo import REPO_TARGETS, DemoSite
from servicelevel.reports.weekly import Week, build_weekly, render_weekly
from servicelevel.store import make_engine

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / ".." / "shared" / "data" / "anonymous-bank-callcentre-1day" / "calls_one_day.csv"
JERUSALEM = ZoneInfo("Asia/Jerusalem")
W30 = Week.parse("2010-W30")  # Mon 26 Jul - Sun 1 Aug 2010: the bank's day is the Sunday


def _seconds(text: str) -> int:
    hours, minutes, seconds = (int(x) for x in text.split(":"))
    return 3600 * hours + 60 * minutes + seconds


@pytest.fixture
def bank_week(tmp_path, sqlite_url):
    """The example policy (targets.toml) in the bank's zone, open round the clock (its one day
    is a Sunday, closed in the example), with the day imported through the example mapping."""
    if not BANK.is_file():
        pytest.skip("the shared data folder is missing")
    document = tomlkit.parse(REPO_TARGETS.read_text())
    del document["business_hours"]
    document["operation"]["timezone"] = "Asia/Jerusalem"
    path = tmp_path / "targets.toml"
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    targets = load_targets(path).unwrap()
    engine = make_engine(sqlite_url)
    mapping = load_mapping(REPO / "examples" / "anonymous-bank.toml", "calls")
    import_csv(engine, BANK, mapping, rollup_spec(targets), kind="calls-csv",
               default_tz=JERUSALEM)  # fmt: skip
    monday_after = datetime(2010, 8, 2, 9, 0, tzinfo=JERUSALEM).astimezone(UTC)
    yield targets, build_weekly(engine, targets, W30, now=monday_after)
    engine.dispose()


def bank_counts() -> dict[str, int]:
    """The day's call figures, from the file: queued calls (not PHANTOM, not hung up in the
    VRU), short abandons (under the example's 5 s), answered waits (service start, or the
    queue exit when there is none, minus the queue start, 0 without a queue, never negative)."""
    with BANK.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    queued = [r for r in rows if r["outcome"] != "PHANTOM"
              and not (r["outcome"] == "HANG" and r["q_start"] == "0:00:00")]  # fmt: skip

    def wait(r: dict[str, str]) -> int:
        if r["q_start"] == "0:00:00":
            return 0
        end = r["ser_start"] if r["outcome"] == "AGENT" and r["ser_start"] != "0:00:00" else (
            r["q_exit"]
        )  # fmt: skip
        return max(0, _seconds(end) - _seconds(r["q_start"]))

    answered = [wait(r) for r in queued if r["outcome"] == "AGENT"]
    hung_up = [wait(r) for r in queued if r["outcome"] == "HANG"]
    short = sum(1 for w in hung_up if w < 5)
    return {
        "offered": len(queued) - short,
        "abandoned": len(hung_up) - short,
        "answered": len(answered),
        "wait_sum": sum(answered),
        "longest": max(answered + hung_up),
    }


def test_the_bank_day_counts_each_kpi_once_in_customers(bank_week):
    _, report = bank_week
    c = bank_counts()
    assert (c["offered"], c["abandoned"], c["answered"]) == (2230, 719, 1511)  # as imported
    text = render_weekly(report, charts=False).text
    section = text.split("MOST SIGNIFICANT PROBLEMS", 1)[1].split("NOTES", 1)[0]
    listed = [line for line in section.splitlines() if re.match(r"\d+\. ", line)]
    # As the email says it: service level once (not its quarter hour and its day apart), and
    # the abandon rate is in.
    assert sum("within 20 s" in line or "Service level" in line for line in listed) == 1
    assert any(line.split(". ", 1)[1].startswith("Abandon") for line in listed), listed
    by_kpi = {}
    for p in report.problems:
        assert p.kpi not in by_kpi, f"{p.kpi} listed twice"
        by_kpi[p.kpi] = p
        assert p.customers_affected <= p.contacts
    # The quarter-hour and the day service level are one problem, over all queues.
    sl = by_kpi["service_level"]
    assert sl.title == "Service level, all queues" and sl.below_for_week
    assert sl.target_ids == ["answer-20s", "answer-20s-now"]
    assert sl.customers_affected <= c["offered"]
    # The 32 % abandon rate is there: 719 abandoned of 2,230 against 8 %, whose allowance is
    # floor(178.4) = 178 calls, so 541 beyond it.
    abandons = by_kpi["abandon_rate"]
    assert abandons.below_for_week and "32.2 % over the week" in abandons.detail
    assert abandons.customers_affected == c["abandoned"] - math.floor(0.08 * c["offered"]) == 541
    # ASA, 134 s against 60: at most every answered call, and here, with 111,542 s beyond
    # 60 x 1,511 and no wait over 1,823 s, at least ceil(111,542 / 1,763) = 64 callers.
    asa = by_kpi["asa"]
    beyond = c["wait_sum"] - 60 * c["answered"]
    assert asa.customers_affected == math.ceil(beyond / (c["longest"] - 60)) == 64
    assert asa.customers_affected <= c["answered"] and asa.contacts == c["answered"]
    # Every target below its minimum for the week is listed (four KPIs: more than three).
    below = {r.target.kpi for r in report.rows if r.week.status == "breach"}
    assert below == set(by_kpi) == {"service_level", "abandon_rate", "asa", "longest_wait"}
    # The headline: no hours added across targets; customers once across KPIs, at most the
    # 2,230 calls.
    assert f"5 of 8 targets had breaches; {sl.customers_affected:,} customers affected" in text
    assert report.affected is not None and report.affected.customers_affected <= c["offered"]
    assert "255 h" not in text
    for row in report.rows:  # one day of data: no target below its minimum for over 24 h
        assert row.breach_time.total_seconds() <= 24 * 3600, row.target.id


def test_the_demo_week_below_its_minimum_is_in_the_top_three(tmp_path):
    now = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # Wednesday: week 10 is the last complete
    site = DemoSite(tmp_path / "demo", seed=7)
    try:
        site.prepare(history_days=10, now=now)
        targets = load_targets(site.targets_path).unwrap()
        report = build_weekly(site.engine, targets, Week.last_complete(now, targets), now=now)
    finally:
        site.engine.dispose()
    below = [r.target.id for r in report.rows if r.week.status == "breach"]
    assert below == ["longest-wait"]  # 457 s over the week against 300 s
    top = report.problems[:3]
    assert [p.title for p in top] == [
        "Longest wait, all queues",  # below for the week: first, however few customers
        "Service level, all queues",  # the quarter-hour and the day target, once
        "Abandon rate, queue billing",
    ]
    assert top[0].below_for_week and top[0].target_ids == ["longest-wait"]
    # One caller waited longest on each of the five days with a breach (the week's own
    # longest is one of them): 5.
    assert top[0].customers_affected == 5
    assert all(p.customers_affected <= p.contacts for p in report.problems)


# --- the hand-worked week, with a strict target below its minimum in both queues ------------
# (breachweek.STRICT: its figures are worked out by hand there)


@pytest.fixture
def strict_week(tmp_path, sqlite_url):
    path = bw.write_targets(tmp_path, extra=bw.STRICT)
    targets = bw.load(path)
    engine = make_engine(sqlite_url)
    bw.fill(engine, targets)
    yield path, targets, engine, sqlite_url
    engine.dispose()


def test_one_problem_per_kpi_counts_each_customer_once_and_hours_per_target(strict_week):
    _, targets, engine, _ = strict_week
    report = build_weekly(engine, targets, Week(bw.MONDAY), now=bw.AFTER)
    assert [(p.title, p.customers_affected, p.contacts, p.below_for_week, p.target_ids)
            for p in report.problems] == [
        ("Service level, all queues", bw.STRICT_CUSTOMERS, 270, True,
         ["answer-day", "answer-15min", "answer-day-strict"]),
        ("Abandon rate, queue support", 1, 40, False, ["abandons"]),
    ]  # fmt: skip
    sl = report.problems[0]
    # Each target's own count, as if it were alone: 7 (4 + 2 + 1), 10 (4 + 3 + 2 + 1) and
    # the strict one's 37 days (4 + 12 + 9 + 9 + 3) against 36 for the week.
    assert [part.customers_affected for part in sl.involved] == [7, 10, 37]
    strict = next(r for r in report.rows if r.target.id == "answer-day-strict")
    assert len(strict.breaches) == 2
    assert strict.breach_time.total_seconds() == 43 * 3600  # not 73 h
    text = render_weekly(report, charts=False).text
    block = next(b for b in text.split("\n\n") if b.startswith(strict.target.name + " ["))
    assert "Breaches:       2, 43 h in total" in block
    assert "4 of 4 targets had breaches; 39 customers affected (each counted once)." in text
    assert "1. Service level, all queues: 39 customers affected (BELOW MIN over the week)" in text
    assert (
        "   - Answered within 20 s, per day, strict: 83.0 % over the week, below the minimum of "
        "96.0 %; 2 breaches, 43 h of open hours, worst 70.0 % (Tue 17 Nov, queue support); "
        "37 customers affected"
    ) in text
