"""Issue 11, finding 9: a webhook's ``text`` carries no markup from names (Slack/Mattermost).

A queue name comes from a source's lines; pasted raw into the message text, ``<url|text>`` made a
link that says one thing and opens another site, ``<!here>``/``@channel`` pinged everyone, and
``[text](url)`` made a link in markdown chats. Sent here through the real alert path and a real
HTTP receiver.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mailsink import HookSink
from sqlalchemy.orm import Session
from weekdata import TZ, load, write_targets

from servicelevel.config.delivery import report_settings
from servicelevel.context import rollup_spec
from servicelevel.reports.alerts import chat_text, check, send_pending
from servicelevel.store import ingest, make_engine
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups_job import ensure_rollups

DAY = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)  # a Tuesday, open all day
CRAFTED = "<https://evil.example|dashboard> [x](https://evil.example) @channel <!here>&"


@pytest.fixture
def hook():
    with HookSink() as sink:
        yield sink


def test_a_crafted_queue_name_reaches_the_webhook_text_without_its_markup(
    tmp_path, sqlite_url, hook
):
    extra = f'\n[alerts]\ntargets = ["answer-20s"]\nwebhook_url = "{hook.url}"\nhold_minutes = 0\n'
    targets = load(write_targets(tmp_path, extra=extra))
    settings = report_settings(targets)
    assert settings.issues == []
    engine = make_engine(sqlite_url)
    facts = [
        CallFact(source="alert-text", callid=f"c{n}", queue=CRAFTED,
                 entered_at=(DAY + timedelta(seconds=8 * n)).astimezone(UTC),
                 outcome="answered", wait_s=45.0)
        for n in range(30)
    ]  # fmt: skip
    ensure_rollups(engine, rollup_spec(targets))  # as every importer does first
    with Session(engine) as session, session.begin():
        ingest.write_calls(session, facts, rollup_spec(targets))
    now = DAY.astimezone(UTC)
    assert len(check(engine, targets, settings.alerts, now=now)) == 1
    assert send_pending(engine, targets, settings, now=now) == 1
    [post] = hook.posts
    text = post["json"]["text"]
    assert text.startswith("BREACH: ")
    assert "<" not in text and ">" not in text  # no <url|text> link, no <!here>
    assert "&lt;https://evil.example|dashboard&gt;" in text and "&lt;!here&gt;&amp;" in text
    assert "](" not in text and "[" not in text  # no markdown link
    assert "@channel" not in text and "@\u200bchannel" in text
    assert post["json"]["flips"][0]["scope"] == CRAFTED  # the data itself stays as it is
    engine.dispose()


def test_chat_text_leaves_ordinary_names_alone():
    plain = "BREACH: Calls answered within 20 s (queue sales-fr): 79.0 %, below 80.0 %"
    assert chat_text(plain) == plain
    assert chat_text("R&D <b>") == "R&amp;D &lt;b&gt;"
