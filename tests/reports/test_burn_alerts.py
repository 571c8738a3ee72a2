"""Burn-rate alerts through a simulated day: one message per real fast burn, one when it is over.

The clock (time_machine) steps through Tuesday 10 Nov 2026 every 5 minutes; before each step the
calls that entered since the last one are imported, one a minute into queue sales, 1 in 10 late
(waited 45 s, over the 20 s threshold) except 10:00-11:00, when every call is late. The day's
target (answer-20s, 80 % minimum) gets the day's default rules (docs/budgets.md): "slow",
45 min / 15 min above 2x, held 2 min, and "slowest", 3 h 30 / 15 min above 1x, held 6 min;
both resolve after 15 calm minutes. Worked by hand (calls numbered by minute from 08:00):

* 10:20 is the first check where "slow" burns: its long window, the quarter hours from 09:30
  and 10:15 so far, holds calls 90-139, 3 late before 10:00 and 20 in the burst: 23 / 50 = 46 %
  late, 2.3x the 20 % allowed; the short one (10:00-10:19) 100 %, 5x. Held 2 min at 10:25.
  At 10:25 its windows hold calls 90-144 (28 of 55 late: 2.5x) and 120-144 (5.0x).
* "slowest" burns at 10:20 too (08:00-10:19: 12 + 20 late of 140 = 22.9 %, 1.1x; at 10:15 it
  was 27 of 135 = 20 %, exactly 1x, not above) and fires at 10:30, held 6 min.
* from 11:15 the short window (11:00 on) is 1 late in 10 (0.5x): calm; 15 minutes later, at
  11:30, both resolve. The 3 h 30 window stays above 1x into the afternoon, but the short one
  never again: no second alert.
* at 10:25 the day so far is calls 0-144: 12 + 25 = 37 late, 108 of 145 in time = 74.5 %;
  floor(0.2 x 145) = 29 late answers allowed, so overspent by 8. At 10:30: 108 of 150 = 72.0 %;
  at 11:30: calls 0-209, 12 + 60 + 3 late, 135 of 210 = 64.3 %.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from mailsink import HookSink, SmtpSink
from sqlalchemy import select
from sqlalchemy.orm import Session
from weekdata import TZ, load, write_targets

from servicelevel.config.delivery import report_settings
from servicelevel.context import rollup_spec
from servicelevel.reports.alerts import run_alerts_job
from servicelevel.store import ingest, make_engine
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import AlertFlip, BurnState

OPENING = datetime(2026, 11, 10, 8, 0, tzinfo=TZ)  # a Tuesday, open 08:00-18:00
BURST = (datetime(2026, 11, 10, 10, 0, tzinfo=TZ), datetime(2026, 11, 10, 11, 0, tzinfo=TZ))
WATCHED = "answer-20s"  # per queue, per day, 80 % minimum, ideal 90 %

BURN_TOML = f"""
[alerts]
targets = ["{WATCHED}"]
hold_minutes = 15
{{channels}}
[alerts.burn_rate]
min_volume = 5
"""


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def hook():
    with HookSink() as sink:
        yield sink


def late(minute: int, entered: datetime, burst: tuple[datetime, datetime]) -> bool:
    return burst[0] <= entered < burst[1] or minute % 10 == 0


def import_calls(engine, targets, since: datetime, until: datetime, burst) -> None:
    """One call a minute entering in [since, until) (open hours only), into queue sales."""
    facts = []
    moment = max(since, OPENING)
    while moment < until and moment < OPENING.replace(hour=18):
        minute = int((moment - OPENING).total_seconds() // 60)
        wait = 45.0 if late(minute, moment, burst) else 8.0
        facts.append(
            CallFact(source="burn-test", callid=f"sales-{minute}", queue="sales",
                     entered_at=moment.astimezone(UTC), outcome="answered", wait_s=wait)
        )  # fmt: skip
        moment += timedelta(minutes=1)
    if facts:
        ensure_rollups(engine, rollup_spec(targets))
        with Session(engine) as session, session.begin():
            ingest.write_calls(session, facts, rollup_spec(targets))


def through_the_day(engine, targets, settings, start, end, burst=BURST, step=5):
    """Step the real clock from ``start`` to ``end``: import, then the alerts job."""
    moment, last = start, start - timedelta(minutes=step)
    while moment <= end:
        import_calls(engine, targets, last, moment, burst)
        with time_machine.travel(moment, tick=False):
            run_alerts_job(engine, targets, settings)  # no now=: the job reads the clock
        last, moment = moment, moment + timedelta(minutes=step)


def flips(engine, *, burns: bool = True):
    """(new status, local time, first word of the reason) of the burn flips (or all flips)."""
    with Session(engine) as session:
        rows = session.execute(select(AlertFlip).order_by(AlertFlip.id)).scalars().all()
        return [
            (f.new_status, f.created_at.astimezone(TZ).strftime("%H:%M"), f.reason.split(" ")[0])
            for f in rows
            if f.details is not None or not burns
        ]


def site(tmp_path, url, smtp_port=None, hook_url=None):
    channels = 'to = ["supervisors@example.com"]\n' if smtp_port else ""
    channels += f'webhook_url = "{hook_url}"\n' if hook_url else ""
    path = write_targets(tmp_path, smtp_port=smtp_port, extra=BURN_TOML.format(channels=channels))
    targets = load(path)
    settings = report_settings(targets)
    assert settings.issues == []
    return targets, settings, make_engine(url)


def test_a_burst_of_late_answers_fires_each_rule_once_and_resolves_it_once(
    tmp_path, db_url, smtp, hook
):
    targets, settings, engine = site(tmp_path, db_url, smtp.port, hook.url)
    through_the_day(engine, targets, settings, OPENING, OPENING.replace(hour=18, minute=30))
    assert flips(engine) == [
        ("burning", "10:25", "slow"),
        ("burning", "10:30", "slowest"),
        ("ok", "11:30", "slow"),
        ("ok", "11:30", "slowest"),
    ]
    # The breach alerts watch the same target: the day fell below its minimum in the burst.
    assert [f[0] for f in flips(engine, burns=False) if f not in flips(engine)] == ["breach"]
    messages = smtp.wait_for(len(flips(engine, burns=False)))
    burn_mails = [m for m in messages if "BURN" in m["Subject"]]
    assert [m["Subject"] for m in burn_mails] == [
        "[Acme customer service] BUDGET BURN: Calls answered within 20 s (queue sales) 74.5 %",
        "[Acme customer service] BUDGET BURN: Calls answered within 20 s (queue sales) 72.0 %",
        "[Acme customer service] BURN OVER: Calls answered within 20 s (queue sales) 64.3 %",
        "[Acme customer service] BURN OVER: Calls answered within 20 s (queue sales) 64.3 %",
    ]
    body = " ".join(burn_mails[0].get_body(("plain",)).get_content().split())
    assert (
        "slow burn (warning): the last 45 min and last 15 min spent the error budget 2.5x and "
        "5.0x as fast as the minimum allows (alert above 2x the pace the minimum allows); "
        "error budget overspent by 8: 37 late answers, 29 allowed in this day so far "
        "(74.5 %)" in body
    )
    posted = [p["json"] for p in hook.posts if p["json"]["kind"].startswith("burn")]
    assert [p["kind"] for p in posted] == ["burn", "burn", "burn_over", "burn_over"]
    first = posted[0]["flips"][0]["burn_rate"]
    assert (first["rule"], first["long_minutes"], first["short_minutes"], first["factor"]) == (
        "slow",
        45,
        15,
        2.0,
    )
    assert first["long_burn"] == pytest.approx(28 / 55 / 0.2)
    assert first["short_burn"] == pytest.approx(5.0)
    assert (first["budget_allowed"], first["budget_remaining"]) == (29, -8)
    with Session(engine) as session:
        states = session.execute(select(BurnState)).scalars().all()
        assert {(s.rule, s.state) for s in states} == {("slow", "ok"), ("slowest", "ok")}
    engine.dispose()


def test_a_day_without_a_burst_sends_no_burn_alert(tmp_path, sqlite_url):
    targets, settings, engine = site(tmp_path, sqlite_url)
    never = (OPENING, OPENING)
    through_the_day(engine, targets, settings, OPENING, OPENING.replace(hour=12), burst=never)
    assert flips(engine, burns=False) == []


def test_a_burn_still_firing_at_closing_resolves_when_its_day_is_over(tmp_path, sqlite_url):
    targets, settings, engine = site(tmp_path, sqlite_url)
    late_day = (OPENING.replace(hour=17), OPENING.replace(hour=18))
    through_the_day(engine, targets, settings, OPENING, OPENING.replace(hour=23), late_day, 15)
    # After 18:00 no call comes: too few contacts to say the burn is over (neutral), so it
    # stays firing through the evening, and resolves with the day.
    assert [f[0] for f in flips(engine)] == ["burning", "burning"]
    midnight = datetime(2026, 11, 11, 0, 5, tzinfo=TZ)
    with time_machine.travel(midnight, tick=False):
        run_alerts_job(engine, targets, settings)
    ends = [f for f in flips(engine) if f[0] == "ok"]
    assert [(f[1], f[2]) for f in ends] == [("00:05", "slow"), ("00:05", "slowest")]
    with Session(engine) as session:
        reasons = session.execute(
            select(AlertFlip.reason).where(AlertFlip.new_status == "ok")
        ).scalars()
        assert all("the window it burned in has ended" in r for r in reasons)
