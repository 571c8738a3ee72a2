"""Every reader shows the same breaches: the weekly email, the Breaches page, the alerts and
``servicelevel status --breaches``, on the hand-worked week of ``tests/breachweek.py``.

Why a test of its own: the email used to count open hours and the Breaches page clock time, for
runs each merged its own way. The expected figures are the hand-worked ones (four breaches:
support's Tue-Fri days, 30 h open / 72 h, 7 customers; Tuesday's 08:00 quarter hour, 15 min, 4;
support's Wednesday abandons, 10 h / 24 h, 1; the quarter hours from Wednesday 17:45 to Friday
08:15, 45 min, 6).
"""

from __future__ import annotations

import json
from datetime import timedelta

import breachweek as bw
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.cli import main
from servicelevel.config.delivery import report_settings
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard.app import create_app
from servicelevel.reports.alerts import check, episode_breaches
from servicelevel.reports.weekly import Week, build_weekly, render_weekly
from servicelevel.store import make_engine
from servicelevel.store.schema import AlertFlip

SUNDAY_NEXT = bw.MONDAY + timedelta(days=7)
# Each breach as (target, scope, start, end, windows, clock s, open s, customers), by hand.
HAND_WORKED = [
    ("answer-day", "support", "2026-11-17T00:00:00+01:00", "2026-11-21T00:00:00+01:00", 3,
     72 * 3600, 30 * 3600, 7),
    ("answer-15min", "*", "2026-11-17T08:00:00+01:00", "2026-11-17T08:15:00+01:00", 1,
     15 * 60, 15 * 60, 4),
    ("abandons", "support", "2026-11-18T00:00:00+01:00", "2026-11-19T00:00:00+01:00", 1,
     24 * 3600, 10 * 3600, 1),
    ("answer-15min", "*", "2026-11-18T17:45:00+01:00", "2026-11-20T08:15:00+01:00", 3,
     45 * 60, 45 * 60, 6),
]  # fmt: skip
ALERTS = "\n[alerts]\nhold_minutes = 0\nrecovery_margin = 0\n"


@pytest.fixture
def week(tmp_path, sqlite_url):
    path = bw.write_targets(tmp_path, extra=ALERTS)
    targets = bw.load(path)
    engine = make_engine(sqlite_url)
    bw.fill(engine, targets)
    yield path, targets, engine, sqlite_url
    engine.dispose()


def key(b: dict) -> tuple:
    return (b["target"], b["scope"], b["start"], b["end"], b["windows"], b["wall_seconds"],
            b["open_seconds"], b["customers_affected"])  # fmt: skip


def test_the_email_the_page_the_alerts_and_status_show_the_same_breaches(week):
    path, targets, engine, db_url = week

    # The weekly email.
    report = build_weekly(engine, targets, Week(bw.MONDAY), now=bw.AFTER)
    emailed = sorted(
        (b for row in report.rows for b in row.breaches),
        key=lambda b: (b.start, [t.id for t in targets.targets].index(b.target_id), b.scope),
    )
    assert [key(b.as_json()) for b in emailed] == HAND_WORKED
    text = render_weekly(report, charts=False).text
    # No hours added across targets (each row has its own); customers counted once across the
    # three call targets, per day the largest per queue against all queues together:
    # Tue max(4, 4) + Wed max(2 or 1, 3) + Thu 2 + Fri max(1, 1) = 10.
    assert "3 of 3 targets had breaches; 10 customers affected (each counted once)." in text
    assert "41 h" not in text
    blocks = {b.split("\n", 1)[0]: b for b in text.split("\n\n")}
    assert "Breaches:       1, 30 h in total" in blocks["Answered within 20 s, per day [MET]"]
    assert (
        "Breaches:       2, 1 h in total" in blocks["Answered within 20 s, per quarter hour [MET]"]
    )
    assert "Breaches:       1, 10 h in total" in blocks["Abandoned calls [IDEAL]"]
    # One problem per KPI and scope: the day target (support) and the quarter-hour one (all
    # queues) are one service-level problem, by day the larger count: 4 + 3 + 2 + 1 = 10 (not
    # 10 + 7); then support's abandons, 1.
    assert [(p.title, p.customers_affected, p.target_ids) for p in report.problems] == [
        ("Service level, all queues", 10, ["answer-day", "answer-15min"]),
        ("Abandon rate, queue support", 1, ["abandons"]),
    ]

    # The Breaches page: its data, newest first, and its rows over the wire.
    shown = dh.breaches(engine, targets, {}, bw.MONDAY, SUNDAY_NEXT, now=bw.AFTER)
    assert [key(b.as_json()) for b in reversed(shown)] == HAND_WORKED
    rows = page_rows(engine, path, bw.MONDAY, SUNDAY_NEXT - timedelta(days=1))
    assert [(r["target"], r["queue"], r["start"], r["end"], r["duration"], r["open_time"],
             r["customers"], r["windows"]) for r in rows] == [
        ("Answered within 20 s, per quarter hour", "All queues", "2026-11-18 17:45 CET",
         "2026-11-20 08:15 CET", "45 min", "45 min", 6, 3),
        ("Abandoned calls", "support", "2026-11-18 00:00 CET", "2026-11-19 00:00 CET", "24 h",
         "10 h", 1, 1),
        ("Answered within 20 s, per quarter hour", "All queues", "2026-11-17 08:00 CET",
         "2026-11-17 08:15 CET", "15 min", "15 min", 4, 1),
        ("Answered within 20 s, per day", "support", "2026-11-17 00:00 CET",
         "2026-11-21 00:00 CET", "72 h", "30 h", 7, 3),
    ]  # fmt: skip

    # status --breaches, as JSON and as text.
    runner = CliRunner()
    common = ["status", "--breaches", "--db", db_url, "--targets", str(path),
              "--from", "2026-11-16", "--to", "2026-11-23"]  # fmt: skip
    result = runner.invoke(main, [*common, "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [key(b) for b in listed] == HAND_WORKED
    assert listed == [b.as_json() for b in emailed]  # every field, values unrounded
    table = runner.invoke(main, common)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["target", "scope", "start", "end", "windows", "worst", "min",
                                "depth", "open", "hours", "clock", "time", "customers"]  # fmt: skip
    assert lines[1].split() == [
        "answer-day", "support", "2026-11-17", "00:00", "CET", "2026-11-21", "00:00", "CET",
        "3", "70.0", "%", "80.0", "%", "10.0", "%", "30", "h", "72", "h", "7",
    ]  # fmt: skip
    assert len(lines) == 5

    # The alerts: without hold or margin, each alert episode is one breach of the model.
    settings = report_settings(targets)
    moments = sorted({bw.local(day, hhmm) + timedelta(minutes=5) for day, hhmm, *_ in bw.QUARTERS}
                     | {bw.local(3, "14:05"), bw.local(6, "10:05")})  # fmt: skip
    for moment in moments:
        check(engine, targets, settings.alerts, now=moment)
    with Session(engine) as session:
        flips = session.execute(select(AlertFlip).order_by(AlertFlip.id)).scalars().all()
    told = [(f.target_id, f.scope, f.new_status, f.reason) for f in flips]
    began = "the breach running now began {}: 5 min of open hours so far, {} affected so far"
    ran = "the breach ran {}: {} of open hours, {} affected"
    assert told == [
        ("answer-day", "support", "breach", "70.0 %, below the minimum of 80.0 %; "
         + began.format("Tue 17 Nov 00:00", "4 customers")),
        ("answer-15min", "*", "breach", "60.0 %, below the minimum of 80.0 %; "
         + began.format("Tue 17 Nov 08:00", "4 customers")),
        ("answer-15min", "*", "ok", "80.0 %, back on the good side of the minimum of 80.0 %; "
         + ran.format("Tue 17 Nov 08:00 - Tue 17 Nov 08:15", "15 min", "4 customers")),
        ("abandons", "support", "breach", "10.0 %, above the minimum of 8.0 %; "
         + began.format("Wed 18 Nov 00:00", "1 customer")),
        ("answer-15min", "*", "breach", "65.0 %, below the minimum of 80.0 %; "
         + began.format("Wed 18 Nov 17:45", "3 customers")),
        ("abandons", "support", "ok", "0.0 %, back on the good side of the minimum of 8.0 %; "
         + ran.format("Wed 18 Nov 00:00 - Thu 19 Nov 00:00", "10 h", "1 customer")),
        ("answer-15min", "*", "ok", "80.0 %, back on the good side of the minimum of 80.0 %; "
         + ran.format("Wed 18 Nov 17:45 - Fri 20 Nov 08:15", "45 min", "6 customers")),
        ("answer-day", "support", "ok", "90.0 %, back on the good side of the minimum of 80.0 %; "
         + ran.format("Tue 17 Nov 00:00 - Sat 21 Nov 00:00", "30 h", "7 customers")),
    ]  # fmt: skip
    # What each recovery told is the model's breach, field for field.
    started = {}
    alerted = []
    for f in flips:
        if f.new_status == "breach":
            started[(f.target_id, f.scope)] = f.created_at
            continue
        since = started.pop((f.target_id, f.scope))
        (one,) = episode_breaches(engine, targets, f.target_id, f.scope, since, f.created_at)
        alerted.append(one.as_json())
    assert sorted(map(key, alerted), key=lambda k: k[2]) == sorted(HAND_WORKED, key=lambda k: k[2])


def page_rows(engine, targets_path, first, last):
    """The Breaches table as the page's callback sends it to the browser."""
    app = create_app(engine, targets_path, demo_note=True, clock=lambda: bw.AFTER)
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if "breaches-table.children" in d["output"])
    values = {
        "breaches-targets.value": [],
        "breaches-queues.value": [],
        "breaches-dates.start_date": first.isoformat(),
        "breaches-dates.end_date": last.isoformat(),
    }
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": part.split(".")[0], "property": part.split(".")[1]}
            for part in dep["output"].strip(".").split("...")
        ],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "changedPropIds": ["breaches-dates.start_date"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data
    answer = response.get_json()["response"]
    assert answer["breaches-message"]["children"] == "4 breaches"
    return answer["breaches-table"]["children"]["props"]["rowData"]


def test_status_breaches_takes_days_not_a_moment(week):
    path, _, _, db_url = week
    runner = CliRunner()
    common = ["status", "--breaches", "--db", db_url, "--targets", str(path)]
    moment = runner.invoke(main, [*common, "--at", "2026-11-17T08:00"])
    assert moment.exit_code == 2 and "--breaches takes --from/--to, not --at" in moment.output
    # Sunday alone: the week's breaches all started before it.
    quiet = runner.invoke(main, [*common, "--from", "2026-11-22", "--to", "2026-11-23"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output.strip() == "No breach from 2026-11-22 to 2026-11-23 (exclusive)."
