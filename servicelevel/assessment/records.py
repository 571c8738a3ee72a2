"""Self-assessments in the store: recording one, reading the latest and all of them.

One row per day and author (``assessments``, see ``servicelevel.store.schema``): recording the
same day and author again replaces the row, so re-running a record file, or saving a corrected
form, never counts one assessment twice. Each write is one transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicelevel.assessment.scoring import Assessment
from servicelevel.config.assessment import AREAS
from servicelevel.store.schema import AssessmentResult

Outcome = Literal["recorded", "replaced", "unchanged"]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def save_assessment(
    engine: Engine, assessment: Assessment, *, now: datetime | None = None
) -> Outcome:
    """Store ``assessment``: ``recorded`` (new), ``replaced`` (that day and author had other
    answers) or ``unchanged`` (the same answers again: nothing written)."""
    now = now or datetime.now(UTC)
    statements = _json({a: list(assessment.statements[a]) for a in AREAS})
    ratings = _json({a: list(assessment.ratings[a]) for a in AREAS})
    key = (AssessmentResult.assessed_on == assessment.assessed_on,
           AssessmentResult.author == assessment.author)  # fmt: skip
    for attempt in range(2):  # a concurrent first save of that key wins; then ours replaces it
        try:
            with Session(engine) as session, session.begin():
                row = session.scalars(select(AssessmentResult).where(*key)).one_or_none()
                if row is None:
                    session.add(
                        AssessmentResult(
                            assessed_on=assessment.assessed_on, author=assessment.author,
                            recorded_at=now, statements=statements, ratings=ratings,
                        )
                    )  # fmt: skip
                    return "recorded"
                if row.statements == statements and row.ratings == ratings:
                    return "unchanged"
                row.statements, row.ratings, row.recorded_at = statements, ratings, now
                return "replaced"
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _assessment(row: AssessmentResult) -> Assessment:
    statements = json.loads(row.statements)
    ratings = json.loads(row.ratings)
    return Assessment(
        row.assessed_on,
        row.author,
        {a: tuple(statements[a]) for a in AREAS},
        {a: tuple(int(r) for r in ratings[a]) for a in AREAS},
        row.recorded_at,
    )


def list_assessments(engine: Engine, *, until: date | None = None) -> list[Assessment]:
    """Every recorded assessment, oldest first (by day, then by when it was recorded);
    ``until`` keeps those assessed before that day (exclusive)."""
    query = select(AssessmentResult).order_by(
        AssessmentResult.assessed_on, AssessmentResult.recorded_at, AssessmentResult.id
    )
    if until is not None:
        query = query.where(AssessmentResult.assessed_on < until)
    with Session(engine) as session:
        return [_assessment(row) for row in session.scalars(query)]


def latest_assessment(engine: Engine, *, until: date | None = None) -> Assessment | None:
    """The most recent assessment (the latest day; on one day, the last recorded), or None;
    ``until`` as for :func:`list_assessments`."""
    query = select(AssessmentResult).order_by(
        AssessmentResult.assessed_on.desc(),
        AssessmentResult.recorded_at.desc(),
        AssessmentResult.id.desc(),
    )
    if until is not None:
        query = query.where(AssessmentResult.assessed_on < until)
    with Session(engine) as session:
        row = session.scalars(query.limit(1)).first()
        return _assessment(row) if row is not None else None
