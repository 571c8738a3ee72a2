"""Self-assessments in the store, on SQLite and PostgreSQL: recorded with their day, author,
statements and ratings; one per day and author; the latest and all of them read back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.assessment import (
    DEFAULT_STATEMENTS,
    Assessment,
    latest_assessment,
    list_assessments,
    save_assessment,
)
from servicelevel.store.schema import AssessmentResult

RATINGS = {"culture": (5, 4, 4, 3), "products": (4, 4, 5, 3), "feedback": (3, 4, 4),
           "knowing": (4, 3, 4), "contact": (5, 4, 4), "empowerment": (4, 4, 3, 4, 5),
           "improvement": (4, 3, 4)}  # fmt: skip
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def assessed(day: date, author: str = "owner", **changes: tuple[int, ...]) -> Assessment:
    return Assessment(day, author, DEFAULT_STATEMENTS, {**RATINGS, **changes})


def test_an_assessment_comes_back_as_recorded(engine):
    assert latest_assessment(engine) is None and list_assessments(engine) == []
    statements = {**DEFAULT_STATEMENTS, "contact": ("Ça répond « vite »", "B", "C")}
    mine = Assessment(date(2026, 12, 1), "Zoë", statements, RATINGS)
    assert save_assessment(engine, mine, now=NOW) == "recorded"
    [back] = list_assessments(engine)
    assert back.assessed_on == date(2026, 12, 1) and back.author == "Zoë"
    assert back.statements == statements and back.ratings == RATINGS
    assert back.recorded_at == NOW
    assert back.as_json() == mine.as_json()


def test_the_same_day_and_author_again_replaces_or_changes_nothing(engine):
    day = date(2026, 12, 1)
    assert save_assessment(engine, assessed(day), now=NOW) == "recorded"
    assert save_assessment(engine, assessed(day), now=NOW) == "unchanged"
    assert save_assessment(engine, assessed(day, contact=(1, 1, 1)), now=NOW) == "replaced"
    assert save_assessment(engine, assessed(day, "manager"), now=NOW) == "recorded"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AssessmentResult)) == 2
    assert [r.ratings["contact"] for r in list_assessments(engine)] == [(1, 1, 1), (5, 4, 4)]


def test_the_latest_is_the_latest_day_and_all_are_oldest_first(engine):
    for day, author in [(date(2026, 6, 1), "a"), (date(2026, 12, 1), "b"),
                        (date(2026, 3, 1), "c")]:  # fmt: skip
        save_assessment(engine, assessed(day, author), now=NOW)
    latest = latest_assessment(engine)
    assert latest is not None and latest.author == "b"
    assert [r.author for r in list_assessments(engine)] == ["c", "a", "b"]
    # until: what was the latest before a day (the weekly email of an earlier week)
    earlier = latest_assessment(engine, until=date(2026, 12, 1))
    assert earlier is not None and earlier.author == "a"
    assert [r.author for r in list_assessments(engine, until=date(2026, 6, 2))] == ["c", "a"]
    assert latest_assessment(engine, until=date(2026, 3, 1)) is None
