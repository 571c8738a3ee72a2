"""A week without data says NO DATA, never "all targets at or above minimum".

The headline counts only the targets that had data to judge, and says how many had none; when
none had any, the subject starts with "NO DATA". Checked on the email as sent, on
``report weekly`` text and HTML, and on a week where only some targets have data.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from mailsink import SmtpSink
from sqlalchemy.orm import Session
from weekdata import WEEK, calls_for, load, write_targets

from servicelevel.cli import main
from servicelevel.config.delivery import report_settings
from servicelevel.context import rollup_spec
from servicelevel.reports.weekly import Week, build_weekly, render_weekly, send_weekly
from servicelevel.reports.weekly.mail import Headline
from servicelevel.store import ingest, make_engine
from servicelevel.store.rollups_job import ensure_rollups

W47 = Week(WEEK)
MONDAY_AFTER = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
ALL_WELL = "at or above"


@pytest.fixture
def empty_site(tmp_path, db_url):
    """The five weekdata targets and a store with the schema but not one fact in it."""
    path = write_targets(tmp_path)
    engine = make_engine(db_url)
    yield path, load(path), engine, db_url
    engine.dispose()


def test_report_weekly_on_an_empty_store_says_no_data(empty_site, tmp_path):
    path, _, _, db_url = empty_site
    html = tmp_path / "week.html"
    args = ["report", "weekly", "--db", db_url, "--targets", str(path), "--week", "2026-W47"]
    result = CliRunner().invoke(main, [*args, "--text", "--html", str(html)])
    assert result.exit_code == 0, result.output
    subject, body = result.stdout.split("\n", 1)
    assert subject.startswith("Subject: NO DATA: Acme customer service: weekly service report")
    assert subject.endswith("none of the 5 targets had data")
    assert "NO DATA: none of the 5 targets had data this week" in body
    assert ALL_WELL not in result.stdout and "No breach and no complaint" not in body
    page = html.read_text(encoding="utf-8")
    assert "NO DATA: none of the 5 targets had data this week" in page
    assert ALL_WELL not in page and "0 of 5" not in page


def test_the_email_sent_for_an_empty_week_says_no_data(tmp_path, sqlite_url):
    with SmtpSink() as smtp:
        path = write_targets(tmp_path, smtp_port=smtp.port)
        targets = load(path)
        engine = make_engine(sqlite_url)
        try:
            outcome = send_weekly(engine, targets, report_settings(targets), W47, now=MONDAY_AFTER)
        finally:
            engine.dispose()
        assert outcome.sent, outcome.reason
        [message] = smtp.wait_for(1)
    assert message["Subject"].startswith("NO DATA: Acme customer service: weekly service report")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "NO DATA: none of the 5 targets had data" in body
        assert ALL_WELL not in body


def test_a_week_where_some_targets_have_no_data_counts_only_those_with_data(empty_site):
    _, targets, engine, _ = empty_site
    rng = random.Random(47)
    ensure_rollups(engine, rollup_spec(targets))  # as every importer does first
    with Session(engine) as session, session.begin():  # calls, but no complaint or survey
        for day in range(7):
            ingest.write_calls(
                session, calls_for(WEEK + timedelta(days=day), rng), rollup_spec(targets)
            )
    report = build_weekly(engine, targets, W47, now=MONDAY_AFTER)
    headline = Headline.of(report.rows)
    assert (headline.targets, headline.judged, headline.no_data) == (5, 4, 1)
    rendered = render_weekly(report, charts=False)
    assert not rendered.subject.startswith("NO DATA")
    assert rendered.subject.endswith(
        f"{headline.below} of 4 targets with data BELOW MIN, 1 NO DATA"
        if headline.below
        else "all 4 targets with data at or above minimum, 1 NO DATA"
    )
    assert "1 of 5 targets had no data this week (NO DATA)." in " ".join(rendered.text.split())
    assert "1 of 5 targets had no data this week (NO DATA)." in rendered.html
    assert "All 5 targets" not in rendered.text and "all 5 targets" not in rendered.subject


@pytest.mark.parametrize(
    ("statuses", "subject"),
    [
        (["no_data"] * 8, "none of the 8 targets had data"),
        (["met", "ideal", "no_data", "no_data", "no_data", "no_data", "no_data", "stale"],
         "all 2 targets with data at or above minimum, 6 NO DATA"),
        (["breach", "met", "no_data"], "1 of 2 targets with data BELOW MIN, 1 NO DATA"),
        (["breach", "met", "ideal"], "1 of 3 targets BELOW MIN"),
        (["met", "ideal"], "all 2 targets at or above minimum"),
    ],
)  # fmt: skip
def test_the_headline_judges_only_targets_with_data(statuses, subject):
    class Row:  # the one attribute Headline reads
        def __init__(self, status: str) -> None:
            self.week = type("S", (), {"status": status})()

    headline = Headline.of([Row(s) for s in statuses])  # type: ignore[arg-type]
    assert headline.subject() == subject
    sentence = headline.sentence()
    if headline.judged == 0:
        assert (
            sentence.startswith("NO DATA: none of the 8 targets had data")
            and ALL_WELL not in sentence
        )
    elif headline.no_data:  # "all at or above" only ever about the targets that had data
        assert f"{headline.no_data} of {len(statuses)} targets had no data this week" in sentence
        assert f"All {len(statuses)} " not in sentence
