"""The weekly email carries the latest customer-focus self-assessment in one short section
(its day, total, band and weakest areas), and leaves the section out when none is recorded.
Checked on the email as sent, through the real SMTP sink."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from mailsink import SmtpSink
from weekdata import WEEK, fill, load, write_targets

from servicelevel.assessment import DEFAULT_STATEMENTS, Assessment, save_assessment
from servicelevel.config.delivery import report_settings
from servicelevel.reports.weekly import Week, send_weekly
from servicelevel.store import make_engine

W47 = Week(WEEK)  # Mon 16 - Sun 22 Nov 2026
MONDAY_AFTER = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
HEADING_TEXT = "CUSTOMER-FOCUS SELF-ASSESSMENT"
HEADING_HTML = "Customer-focus self-assessment"
RATINGS = {"culture": (5, 4, 4, 3), "products": (4, 4, 5, 3), "feedback": (3, 4, 4),
           "knowing": (4, 3, 4), "contact": (2, 2, 3), "empowerment": (4, 4, 3, 4, 5),
           "improvement": (4, 3, 4)}  # fmt: skip


def sent(tmp_path, sqlite_url, *assessments: Assessment):
    """The W47 email as the sink received it: (text body, html body)."""
    with SmtpSink() as smtp:
        path = write_targets(tmp_path, smtp_port=smtp.port)
        targets = load(path)
        engine = make_engine(sqlite_url)
        try:
            fill(engine, targets)
            for one in assessments:
                save_assessment(engine, one)
            outcome = send_weekly(engine, targets, report_settings(targets), W47, now=MONDAY_AFTER)
        finally:
            engine.dispose()
        assert outcome.sent, outcome.reason
        [message] = smtp.wait_for(1)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_email_shows_the_latest_assessment_of_the_week_in_a_short_section(tmp_path, sqlite_url):
    older = Assessment(date(2026, 6, 1), "owner", DEFAULT_STATEMENTS,
                       {**RATINGS, "contact": (5, 5, 5)})  # fmt: skip
    latest = Assessment(date(2026, 11, 20), "owner", DEFAULT_STATEMENTS, RATINGS)
    after = Assessment(date(2026, 11, 24), "owner", DEFAULT_STATEMENTS,
                       {**RATINGS, "feedback": (1, 1, 1)})  # fmt: skip
    text, html = sent(tmp_path, sqlite_url, older, latest, after)
    # 82/3 - 13/3 + 7/3 = 76/3 = 25.33: adequate; contact 7/3 is the weakest
    section = text[text.index(HEADING_TEXT) : text.index("NOTES")]
    assert section.strip().splitlines() == [
        HEADING_TEXT,
        "=" * len(HEADING_TEXT),
        "Latest, of Fri 20 Nov 2026: total 25.33 of 35, adequate (needs general improvement).",
        "Weakest: Ease of contact (2.33).",
    ]
    assert HEADING_HTML in html
    assert "Latest, of Fri 20 Nov 2026:" in html and "total 25.33 of 35, adequate" in html
    assert "Weakest: Ease of contact (2.33)." in html
    assert "24 Nov" not in section and "1 Jun" not in section  # after the week; superseded


@pytest.mark.parametrize("recorded", [False, True])
def test_the_section_is_left_out_when_none_is_recorded_by_the_weeks_end(
    tmp_path, sqlite_url, recorded
):
    later = Assessment(date(2026, 11, 23), "owner", DEFAULT_STATEMENTS, RATINGS)
    text, html = sent(tmp_path, sqlite_url, *([later] if recorded else []))
    assert HEADING_TEXT not in text and HEADING_HTML not in html
    assert "self-assessment" not in text.lower() and "self-assessment" not in html.lower()
