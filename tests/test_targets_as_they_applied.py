"""Targets as they applied: after raising a minimum from a day, every reader judges and shows
each window with the version in force for it (``config.history.version_on``).

The week of ``tests/breachweek.py``: the quarter-hour minimum goes from 80 % to 85 % from
Thursday 19 Nov (an audit row, as the Targets page writes, with the file holding 85). The same
value, 80 % (16 of 20 calls in time), is *met* on Tuesday 08:15 and a *breach* on Friday 08:15.
By hand: the second breach becomes Wed 17:45 (80 %: 3 customers), Thu 08:00 (85 %: ceil(8.5 - 6)
= 3), Fri 08:00 (ceil(17 - 15) = 2) and Fri 08:15 (ceil(17 - 16) = 1): 4 windows, 1 h, 9.
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
from servicelevel.config.history import load_history
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard import data_queue as dq
from servicelevel.dashboard.app import create_app
from servicelevel.reports.alerts import check
from servicelevel.reports.weekly import Week, build_weekly, render_weekly
from servicelevel.store import make_engine
from servicelevel.store.schema import AlertFlip

TUESDAY, FRIDAY = bw.MONDAY + timedelta(days=1), bw.MONDAY + timedelta(days=4)
NEXT_MONDAY = bw.MONDAY + timedelta(days=7)
WATCH = '\n[alerts]\ntargets = ["answer-15min"]\nhold_minutes = 0\nrecovery_margin = 0\n'


@pytest.fixture
def raised(tmp_path, sqlite_url):
    """The week stored, then the minimum raised from Thursday on."""
    engine = make_engine(sqlite_url)
    bw.fill(engine, bw.load(bw.write_targets(tmp_path)))
    path = bw.raise_the_quarter_hour_minimum(engine, tmp_path)
    path.write_text(path.read_text() + WATCH, encoding="utf-8")
    yield path, bw.load(path), engine, sqlite_url
    engine.dispose()


def test_status_json_judges_each_window_by_its_own_minimum(raised):
    path, _, _, db_url = raised
    result = CliRunner().invoke(
        main, ["status", "--db", db_url, "--targets", str(path), "--from", "2026-11-16",
               "--to", "2026-11-23", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    quarters = {
        s["window_start"]: s for s in json.loads(result.output) if s["target"] == "answer-15min"
    }
    tuesday, friday = quarters["2026-11-17T08:15:00+01:00"], quarters["2026-11-20T08:15:00+01:00"]
    assert (tuesday["value"], tuesday["minimum"], tuesday["status"]) == (80.0, 80.0, "met")
    assert (friday["value"], friday["minimum"], friday["status"]) == (80.0, 85.0, "breach")


def test_the_weekly_email_shows_last_weeks_minimum_not_the_raised_one(raised):
    _, targets, engine, _ = raised
    report = build_weekly(engine, targets, Week(bw.MONDAY), now=bw.AFTER)
    (row,) = [r for r in report.rows if r.target.id == "answer-15min"]
    assert row.target.minimum == 85.0  # the file
    assert row.bounds.minimum == 80.0  # in force on the week's Monday
    assert [b.customers_affected for b in row.breaches] == [4, 9]
    assert [s.target.minimum for s in row.breaches[1].statuses] == [80.0, 85.0, 85.0, 85.0]
    rendered = render_weekly(report)  # the chart steps up on Thursday; it must still draw
    block = next(b for b in rendered.text.split("\n\n") if b.startswith(row.target.name + " ["))
    assert "(minimum 80.0 %, ideal 90.0 %" in block
    assert "Breaches:       2, 1 h 15 min in total" in block  # 15 min + 1 h
    problem = next(p for p in report.problems if "answer-15min" in p.target_ids)
    (part,) = [i for i in problem.involved if i.target_id == "answer-15min"]
    assert part.customers_affected == 13  # 4 + 9, its two breaches
    # One service-level problem with the day target (support: Tue 4, Wed 2, Fri 1), by day the
    # larger count: Tue 4, Wed 3, Thu 3, Fri 3 (2 + 1) = 13.
    assert problem.customers_affected == 13
    # The worst window, Thursday's 60 %, was judged by the raised minimum: said as such.
    line = next(t for t in problem.lines if t.startswith(row.target.name + ":"))
    assert "worst 60.0 % (Thu 19 Nov 08:00) against 85.0 %" in line


def test_the_queue_drill_down_draws_the_minimum_of_its_day(raised):
    path, targets, engine, _ = raised
    history = load_history(engine)
    assert dq.sl_target_on(targets, history, "answer-15min", TUESDAY).minimum == 80.0
    assert dq.sl_target_on(targets, history, "answer-15min", FRIDAY).minimum == 85.0
    tuesday = queue_page(engine, path, TUESDAY)
    assert tuesday["queue-summary"]["children"].endswith(
        "SL column: Answered within 20 s, per quarter hour (minimum 80 % on 2026-11-17)."
    )
    assert "minimum 80 %" in json.dumps(tuesday["queue-graph"]["figure"]["layout"])
    friday = queue_page(engine, path, FRIDAY)
    assert "(minimum 85 % on 2026-11-20)" in friday["queue-summary"]["children"]
    assert "minimum 85 %" in json.dumps(friday["queue-graph"]["figure"]["layout"])


def test_trends_and_breaches_use_the_version_of_each_window(raised):
    _, targets, engine, _ = raised
    history = load_history(engine)
    frame = dh.trend_frame(
        engine, targets, history, "answer-15min", bw.MONDAY, NEXT_MONDAY, "day", now=bw.AFTER
    )
    assert frame["minimum"].tolist() == [80.0, 80.0, 80.0, 85.0, 85.0, 85.0, 85.0]
    found = dh.breaches(
        engine, targets, history, bw.MONDAY, NEXT_MONDAY, now=bw.AFTER,
        target_ids=["answer-15min"],
    )  # fmt: skip
    rows = [dh.breach_row(b, targets, bw.AFTER) for b in found]
    assert [(r["start"], r["end"], r["windows"], r["customers"], r["minimum"], r["worst"],
             r["depth"]) for r in rows] == [
        ("2026-11-18 17:45 CET", "2026-11-20 08:30 CET", 4, 9, "85 %", "60.0 %", "25 %"),
        ("2026-11-17 08:00 CET", "2026-11-17 08:15 CET", 1, 4, "80 %", "60.0 %", "20 %"),
    ]  # fmt: skip


def test_alerts_judge_each_check_by_the_minimum_in_force(raised):
    _, targets, engine, _ = raised
    rules = report_settings(targets).alerts
    for day, hhmm, *_ in bw.QUARTERS:
        check(engine, targets, rules, now=bw.local(day, hhmm) + timedelta(minutes=5))
    with Session(engine) as session:
        flips = session.execute(select(AlertFlip).order_by(AlertFlip.id)).scalars().all()
    # Tue 08:15 at 80 % recovers under 80; Fri 08:15 at 80 % stays a breach under 85, so the
    # recovery waits for Friday 12:00 (95 %).
    assert [(f.new_status, f"{f.window_start.astimezone(bw.TZ):%a %H:%M}", f.minimum)
            for f in flips] == [
        ("breach", "Tue 08:00", 80.0), ("ok", "Tue 08:15", 80.0),
        ("breach", "Wed 17:45", 80.0), ("ok", "Fri 12:00", 85.0),
    ]  # fmt: skip
    assert flips[-1].reason.endswith(
        "the breach ran Wed 18 Nov 17:45 - Fri 20 Nov 08:30: 1 h of open hours, 9 customers "
        "affected"
    )


def queue_page(engine, targets_path, day):
    """The drill-down's outputs as its callback sends them to the browser."""
    app = create_app(engine, targets_path, demo_note=True, clock=lambda: bw.AFTER)
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if "queue-summary.children" in d["output"])
    values = {"queue-name.value": "*", "queue-day.date": day.isoformat(),
              "queue-sl.value": "answer-15min"}  # fmt: skip
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": part.split(".")[0], "property": part.split(".")[1]}
            for part in dep["output"].strip(".").split("...")
        ],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "changedPropIds": ["queue-day.date"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data
    return response.get_json()["response"]
