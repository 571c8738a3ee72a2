"""No planted personal data reaches anyone: not a page, a callback, an email or an alert.

A store is filled the way sources fill it: a queue_log whose agent fields are channels and
member names (``SIP/john.smith-0001``, ``PJSIP/alice``, ``John Smith``) and whose callers and
garbage lines carry phone numbers written every way; a calls CSV with agent names and caller
numbers; a complaints CSV whose nature column is free text with a name, a phone number, an
e-mail address and a card number; rows of each that end in the quarantine; complaints stored
with free text by an import that predates categories; and a source whose stored error names
someone. Then everything a person or a mailbox can receive is collected: for a viewer and for
an editor, every page (HTTP GET), the layout, the page routing and every read-only callback
through ``/_dash-update-component`` with the page's own initial values (``dashcalls``); the
weekly email and the alert emails (subject, text and HTML) through the real SMTP sink; the
webhook bodies through the real HTTP sink. None may hold a planted value, in any spelling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dashcalls import Visit
from dashsite import write_users
from logins import login
from mailsink import HookSink, SmtpSink
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session
from weekdata import TZ, WEEK, fill, load, write_targets

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config.delivery import report_settings
from servicelevel.context import rollup_spec
from servicelevel.dashboard.app import create_app
from servicelevel.reports.alerts import run_alerts_job
from servicelevel.reports.weekly import Week, send_weekly
from servicelevel.store import ingest, make_engine
from servicelevel.store.schema import Complaint, Quarantine

# What sources wrote, and none may show: names, logins, channels, e-mail addresses, numbers.
NAMES = ("John Smith", "john.smith", "Alice Martin", "alice.martin", "Smith", "Martin")
CHANNELS = ("SIP/john.smith-0001", "PJSIP/alice", "Local/7946@agents/n")
EMAILS = ("john.smith@example.com", "alice.martin@example.com")
PHONES = ("+44 (20) 7946-0958", "555-0199", "555.0199", "555,0199", "5 5 5 0 1 9 9")
CARD = "4111 1111 1111 1111"
# Digit strings found whatever the separators (commas apart: figures' JSON is "1, 2, 3").
DIGITS = ("442079460958", "2079460958", "5550199", "4111111111111111")
DIGIT_PATTERNS = [re.compile(r"[\s.\-()/+]{0,3}".join(d)) for d in DIGITS]

# Wednesday of 2026-W47 in Paris: the calls, complaints and quarantined rows are that week.
DAY = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
NOW = datetime(2026, 11, 18, 10, 30, tzinfo=TZ).astimezone(UTC)
MONDAY_AFTER = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the W47 summary is due
TUESDAY_AFTERNOON = datetime(2026, 11, 17, 15, 10, tzinfo=TZ).astimezone(UTC)  # support breaches

CALLS_MAPPING = """
kind = "calls"
[columns]
callid = "Call"
queue = "Queue"
entered_at = "Entered"
answered_at = "Answered"
agent = "Agent Name"
caller = "Phone"
"""
COMPLAINTS_MAPPING = """
kind = "complaints"
[columns]
key = "Ticket"
opened_at = "Opened"
nature = { column = "Description", categories = ["late delivery", "card", "billing"] }
"""
FREE_TEXT = (
    f"Call back Mr John Smith on {PHONES[1]} or {PHONES[4]} about his card {CARD} "
    f"(john.smith@example.com)"
)


@dataclass
class Planted:
    root: Path
    targets_path: Path
    engine: Engine
    smtp: SmtpSink
    hook: HookSink


def _epoch(hh: int, mm: int) -> int:
    return int(DAY.replace(hour=hh, minute=mm).timestamp())


def _queue_log() -> str:
    lines = []
    agents = (*CHANNELS, "John Smith")
    for n in range(12):
        at = _epoch(10, 0) + 60 * n
        call, agent = f"{at}.{n}", agents[n % len(agents)]
        lines += [
            f"{at}|{call}|sales|NONE|ENTERQUEUE||{PHONES[0]}|1",
            f"{at + 8}|{call}|sales|{agent}|CONNECT|8|{call}b|2",
            f"{at + 98}|{call}|sales|{agent}|COMPLETECALLER|8|90|1",
        ]
    at = _epoch(10, 20)
    lines += [
        f"{at}|{at}.90|sales|PJSIP/alice|ADDMEMBER|",
        f"{at}|{at}.91|sales|John Smith|CONNECT|3|x|1",  # no ENTERQUEUE: quarantined
        f"noon|{at}.92|sales|SIP/john.smith-0001|CONNECT|5|x|1",  # bad timestamp
        f"{at}|{at}.93|sales|PJSIP/alice|FROBNICATE|call {PHONES[2]} or {PHONES[3]}",
        f"{at}|{at}.94||NONE|ENTERQUEUE||{PHONES[1]}|1",  # no queue
        f"Alice Martin rang from {PHONES[0]}, alice.martin@example.com",
    ]
    return "\n".join(sorted(lines[:-6], key=lambda x: int(x.split("|")[0])) + lines[-6:]) + "\n"


def _calls_csv() -> str:
    rows = ["Call,Queue,Entered,Answered,Agent Name,Phone"]
    for n in range(6):
        entered = DAY.replace(hour=11, minute=n).strftime("%Y-%m-%d %H:%M:%S")
        answered = DAY.replace(hour=11, minute=n, second=9).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f'K{n},support,{entered},{answered},Alice Martin,"{PHONES[0]}"')
    rows.append(f'K90,support,yesterday,,Alice Martin,"{PHONES[0]}"')  # quarantined
    rows.append(f"K91,support,{PHONES[1]},,John Smith,{PHONES[2]}")  # a number for a time
    return "\n".join(rows) + "\n"


def _complaints_csv() -> str:
    rows = ["Ticket,Opened,Description"]
    texts = (FREE_TEXT, "late delivery, ask for Alice Martin", "Wrong address: Mr Smith")
    for n in range(9):
        opened = DAY.replace(day=16 + n % 5, hour=9).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f'T{n},{opened},"{texts[n % 3]}"')
    rows.append(f'T90,last week,"{FREE_TEXT}"')  # quarantined with its free text
    return "\n".join(rows) + "\n"


def _build(root: Path, engine: Engine, smtp: SmtpSink, hook: HookSink) -> Path:
    extra = f"""
[alerts]
to = ["supervisors@example.com"]
webhook_url = "{hook.url}"
hold_minutes = 0
"""
    targets_path = write_targets(root, smtp_port=smtp.port, extra=extra)
    targets = load(targets_path)
    spec = rollup_spec(targets)
    fill(engine, targets)
    (root / "queue_log").write_text(_queue_log(), encoding="utf-8")
    import_file(engine, root / "queue_log", spec, now=NOW)
    (root / "calls.csv").write_text(_calls_csv(), encoding="utf-8")
    calls = parse_mapping(CALLS_MAPPING, "calls.toml")
    import_csv(engine, root / "calls.csv", calls, spec, kind="calls-csv", default_tz=TZ)
    (root / "complaints.csv").write_text(_complaints_csv(), encoding="utf-8")
    complaints = parse_mapping(COMPLAINTS_MAPPING, "complaints.toml")
    import_csv(
        engine, root / "complaints.csv", complaints, spec, kind="complaints-csv", default_tz=TZ
    )
    with Session(engine) as session, session.begin():
        # Stored by an import from before natures were categories: enough to be a top problem.
        session.execute(
            insert(Complaint),
            [
                {"complaint_key": f"OLD-{n}", "opened_at": DAY.astimezone(UTC), "nature": text}
                for n in range(70)
                for text in (FREE_TEXT[:200],)
            ],
        )
        # An error stored before errors were kept free of row data (a driver quoting a row).
        ingest.mark_source(
            session, "crm", collector="complaints-sql", kind="complaints",
            error="the query failed: (psycopg.errors.UniqueViolation) Key (owner)=(John Smith) "
            f"already exists; DETAIL: 'alice.martin@example.com' {PHONES[0]}",
        )  # fmt: skip
    return targets_path


@pytest.fixture
def planted(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Planted]:
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "planted-test-key")
    engine = make_engine(sqlite_url)
    with SmtpSink() as smtp, HookSink() as hook:
        targets_path = _build(tmp_path, engine, smtp, hook)
        yield Planted(tmp_path, targets_path, engine, smtp, hook)
    engine.dispose()


# --- what the dashboard sends --------------------------------------------------------------

PAGES = (
    "/live",
    "/trends",
    "/breaches",
    "/queue?queue=*&day=2026-11-18",
    "/queue?queue=sales&day=2026-11-18",
    "/queue?queue=support&day=2026-11-18",
    "/sources",
    "/targets",
    "/no-such-page",
)


def dashboard_responses(app: Any, user: str) -> list[tuple[str, str]]:
    """(where, body) of everything the server sends ``user`` visiting every page."""
    client = app.server.test_client()
    login(client, user)
    visit = Visit(client, user)
    for page in PAGES:
        visit.page(page)
    assert visit.callbacks >= 8  # live, banner, trends, breaches, queue, targets...
    return visit.served


# --- what the mail and the webhook carry ---------------------------------------------------


def message_parts(message: Any) -> list[tuple[str, str]]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",))
    parts = [("subject", str(message["Subject"])), ("text", text)]
    if html is not None:
        parts.append(("html", html.get_content()))
    return parts


def leaks(body: str) -> list[str]:
    found = [v for v in (*NAMES, *CHANNELS, *EMAILS, *PHONES, CARD) if v.lower() in body.lower()]
    return found + [p.pattern for p in DIGIT_PATTERNS if p.search(body)]


def test_no_planted_value_reaches_a_page_a_callback_an_email_or_an_alert(planted):
    # The store does hold what was planted (so the search below means something).
    with Session(planted.engine) as session:
        raw = " ".join(session.execute(select(Quarantine.raw)).scalars())
    for value in ("PJSIP/alice", "SIP/john.smith-0001", "|John Smith|", "Alice Martin", CARD,
                  PHONES[2], "alice.martin@example.com", "john.smith@example.com"):  # fmt: skip
        assert value in raw, value

    users = write_users(planted.root / "users.toml")
    app = create_app(planted.engine, planted.targets_path, users_path=users, clock=lambda: NOW)
    served = dashboard_responses(app, "victor") + dashboard_responses(app, "alice")

    targets = load(planted.targets_path)
    settings = report_settings(targets)
    outcome = send_weekly(planted.engine, targets, settings, Week(WEEK), now=MONDAY_AFTER)
    assert outcome.sent, outcome.reason
    assert run_alerts_job(planted.engine, targets, settings, now=TUESDAY_AFTERNOON) > 0
    messages = planted.smtp.wait_for(2)
    assert len(messages) >= 2 and planted.hook.posts
    for n, message in enumerate(messages):
        served += [(f"email {n} {part}", body) for part, body in message_parts(message)]
    served += [(f"webhook {n}", json.dumps(p["json"])) for n, p in enumerate(planted.hook.posts)]

    found = {where: hits for where, body in served if (hits := leaks(body))}
    assert found == {}

    # The viewer gets counts and reasons, the editor the masked rows as well.
    sources = {where: body for where, body in served if where.endswith("route /sources")}
    assert "sources-quarantine-grid" not in sources["victor route /sources"]
    assert "sources-quarantine-summary" in sources["victor route /sources"]
    for masked in ("|[agent]|CONNECT|", "[name] rang from ######, [email]", "[pseudonym]"):
        assert masked in sources["alice route /sources"], masked
    weekly = next(body for where, body in served if where == "email 0 text")
    assert "Complaints: Call back [name] on ######" in weekly
