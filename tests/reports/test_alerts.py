"""Breach alerts: one message per real breach and recovery, over real SMTP and HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from mailsink import HookSink, SmtpSink
from sqlalchemy import select
from sqlalchemy.orm import Session
from weekdata import TZ, load, write_targets

from servicelevel.config.delivery import report_settings
from servicelevel.context import rollup_spec
from servicelevel.reports.alerts import check, run_alerts_job, send_pending
from servicelevel.store import ingest, make_engine
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import AlertFlip

DAY = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)  # a Tuesday, open all day
WATCHED = "answer-20s-15min"  # 80 % minimum per quarter hour, all queues together


def alerts_toml(hook_url: str | None = None, email: bool = True, **rules: object) -> str:
    lines = ["", "[alerts]", f'targets = ["{WATCHED}"]']
    if email:
        lines.append('to = ["supervisors@example.com"]')
    if hook_url:
        lines.append(f'webhook_url = "{hook_url}"')
    lines += [f"{key} = {value}" for key, value in rules.items()]
    return "\n".join(lines) + "\n"


def quarter_hour(engine, targets, start: datetime, within: int, total: int, queue="sales"):
    """``total`` calls entering in the quarter hour at ``start``; ``within`` answered in 20 s."""
    facts = []
    for n in range(total):
        entered = (start + timedelta(seconds=8 * n)).astimezone(UTC)
        wait = 10.0 if n < within else 45.0
        facts.append(
            CallFact(source="alerts-test", callid=f"{queue}-{entered.timestamp()}-{n}",
                     queue=queue, entered_at=entered, outcome="answered", wait_s=wait)
        )  # fmt: skip
    ensure_rollups(engine, rollup_spec(targets))  # as every importer does first
    with Session(engine) as session, session.begin():
        ingest.write_calls(session, facts, rollup_spec(targets))


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def hook():
    with HookSink() as sink:
        yield sink


def site(tmp_path, url, smtp_port, extra):
    path = write_targets(tmp_path, smtp_port=smtp_port, extra=extra)
    targets = load(path)
    settings = report_settings(targets)
    assert settings.issues == []
    return targets, settings, make_engine(url)


def run_checks(engine, targets, settings, pattern: list[int], first=0, checks_per_window=3):
    """Quarter hours from ``first`` with ``pattern[i]`` of 100 calls answered in time, each
    checked every 5 minutes."""
    for i, within in enumerate(pattern, first):
        start = DAY + timedelta(minutes=15 * i)
        quarter_hour(engine, targets, start, within, 100)
        for k in range(checks_per_window):
            now = (start + timedelta(minutes=5 * k + 4)).astimezone(UTC)
            run_alerts_job(engine, targets, settings, now=now)


def flips(engine):
    with Session(engine) as session:
        rows = session.execute(select(AlertFlip).order_by(AlertFlip.id)).scalars().all()
        return [(f.scope, f.old_status, f.new_status) for f in rows]


def test_a_kpi_oscillating_around_its_minimum_sends_one_alert(tmp_path, sqlite_url, smtp, hook):
    targets, settings, engine = site(
        tmp_path, sqlite_url, smtp.port,
        alerts_toml(hook.url, hold_minutes=15, recovery_margin=2, check_every_minutes=5),
    )  # fmt: skip
    # 79 %, 81 %, 79 %, ... for two and a half hours: below, above, below the 80 % minimum.
    run_checks(engine, targets, settings, [79, 81] * 5)
    assert flips(engine) == [("*", "ok", "breach")]
    [message] = smtp.wait_for(1)
    assert (
        message["Subject"]
        == "[Acme customer service] BELOW MIN: Answered within 20 s, per quarter hour 79.0 %"
    )
    body = message.get_body(("plain",)).get_content()
    # First bad check 09:04; the 81 % quarter hour is within the margin, so the streak holds.
    assert "79.0 %, below the minimum of 80.0 % for 30 min" in body
    # What the breach model says of the breach running at 09:34: its 09:30 window (09:15 met
    # the minimum), 4 minutes old, 1 call short of 80 of 100 answered in time.
    assert (
        "the breach running now began Tue 10 Nov 09:30: 4 min of open hours so far, 1 customer "
        "affected so far" in " ".join(body.split())
    )
    [post] = hook.posts
    assert post["content_type"] == "application/json"
    assert post["json"]["kind"] == "breach"
    assert post["json"]["flips"][0]["target"] == WATCHED
    assert post["json"]["flips"][0]["value"] == 79.0

    # A clear recovery (95 %) that holds for 15 minutes: one more message, and only one.
    run_checks(engine, targets, settings, [95, 95, 95], first=10)
    assert flips(engine) == [("*", "ok", "breach"), ("*", "breach", "ok")]
    assert len(smtp.wait_for(2)) == 2
    assert smtp.messages[1]["Subject"].startswith("[Acme customer service] RECOVERED:")
    # Since the alert (09:34): the 79 % quarter hours of 09:30, 10:00, 10:30 and 11:00, each a
    # breach of its own (the 81 % ones between met the minimum), 15 min and 1 call short each.
    recovered = " ".join(smtp.messages[1].get_body(("plain",)).get_content().split())
    assert (
        "4 breaches since Tue 10 Nov 09:30: 1 h of open hours below the minimum, 4 customers "
        "affected" in recovered
    )
    assert [p["json"]["kind"] for p in hook.posts] == ["breach", "recovered"]


def test_without_hold_and_margin_the_same_kpi_would_flap(tmp_path, sqlite_url):
    targets, settings, engine = site(
        tmp_path, sqlite_url, None, alerts_toml(email=False, hold_minutes=0, recovery_margin=0)
    )
    run_checks(engine, targets, settings, [79, 81] * 5)
    assert len(flips(engine)) == 10  # what the hold time and margin above are for


def test_a_breach_must_hold_for_the_configured_windows(tmp_path, sqlite_url):
    targets, settings, engine = site(
        tmp_path, sqlite_url, None, alerts_toml(email=False, hold_minutes=0, hold_windows=3)
    )
    run_checks(engine, targets, settings, [70, 70, 90, 70, 70])
    assert flips(engine) == []  # never three quarter hours in a row
    run_checks(engine, targets, settings, [70, 70, 70], first=5)
    assert flips(engine) == [("*", "ok", "breach")]


def test_many_changes_at_once_go_out_as_one_digest(tmp_path, sqlite_url, smtp, hook):
    extra = alerts_toml(hook.url, hold_minutes=0, digest_after=3).replace(
        f'targets = ["{WATCHED}"]', 'targets = ["answer-20s"]'
    )
    targets, settings, engine = site(tmp_path, sqlite_url, smtp.port, extra)
    # answer-20s is per queue and per day: four queues fall below 80 % together.
    for queue in ("billing", "sales", "support", "returns"):
        quarter_hour(engine, targets, DAY, 10, 30, queue=queue)
    assert len(check(engine, targets, settings.alerts, now=DAY.astimezone(UTC))) == 4
    assert send_pending(engine, targets, settings, now=DAY.astimezone(UTC)) == 4
    [message] = smtp.wait_for(1)
    assert (
        message["Subject"] == "[Acme customer service] 4 target changes: 4 BELOW MIN, 0 recovered"
    )
    [post] = hook.posts
    assert post["json"]["kind"] == "digest"
    assert sorted(f["scope"] for f in post["json"]["flips"]) == [
        "billing", "returns", "sales", "support",
    ]  # fmt: skip
    assert post["json"]["text"].count("BREACH: Calls answered within 20 s (queue ") == 4


def test_each_flip_is_sent_once_even_by_two_senders(tmp_path, db_url, smtp):
    targets, settings, engine = site(tmp_path, db_url, smtp.port, alerts_toml(hold_minutes=0))
    quarter_hour(engine, targets, DAY, 10, 30)
    now = DAY.astimezone(UTC) + timedelta(minutes=5)
    assert len(check(engine, targets, settings.alerts, now=now)) == 1
    barrier = threading.Barrier(2)
    sent = []

    def sender():
        barrier.wait()
        sent.append(send_pending(engine, targets, settings, now=now))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(sent) == [0, 1]
    assert len(smtp.wait_for(2, timeout=1)) == 1
    engine.dispose()


def test_a_broken_webhook_is_recorded_not_retried_forever(tmp_path, sqlite_url, smtp):
    with HookSink(status=500) as broken:
        targets, settings, engine = site(
            tmp_path, sqlite_url, smtp.port, alerts_toml(broken.url, hold_minutes=0)
        )
        quarter_hour(engine, targets, DAY, 10, 30)
        now = DAY.astimezone(UTC) + timedelta(minutes=5)
        run_alerts_job(engine, targets, settings, now=now)
        run_alerts_job(engine, targets, settings, now=now + timedelta(minutes=1))
        assert len(broken.posts) == 1
    with Session(engine) as session:
        flip = session.execute(select(AlertFlip)).scalar_one()
        assert flip.processed is not None
        assert "webhook" in flip.error and "500" in flip.error
    assert len(smtp.wait_for(1)) == 1  # the email still went
