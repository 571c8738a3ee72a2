"""Audit rows replayed into a target must hold what a target's validation would allow: a
hand-made (or old) row with NaN, inf or a wrong type changes nothing instead of crashing every
later evaluation (issue 11, finding 3)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from servicelevel.config.history import load_edits, record_edit
from servicelevel.store import make_engine
from servicelevel.store.schema import Audit

DAY = date(2026, 3, 10)


def _row(session: Session, old: dict, new: dict, **extra: object) -> None:
    detail = {"target": "asa", "effective_from": DAY.isoformat(), "old": old, "new": new, **extra}
    session.execute(
        insert(Audit).values(
            at=datetime(2026, 3, 1, tzinfo=UTC),
            actor="someone",
            action="target.edit",
            detail=json.dumps(detail),  # allow_nan: writes NaN/Infinity as a hand-made row might
        )
    )


@pytest.fixture
def engine(sqlite_url):
    built = make_engine(sqlite_url)
    yield built
    built.dispose()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"minimum": 60.0}, {"minimum": float("nan")}),
        ({"minimum": float("inf")}, {"minimum": 50.0}),
        ({"ideal": 20.0}, {"ideal": "20"}),
        ({"ideal": 20.0}, {"ideal": True}),
        ({"minimum": 60.0}, {"minimum": 10**400}),
        ({"min_volume": 5}, {"min_volume": 2.5}),
        ({"min_volume": 5}, {"min_volume": -1}),
        ({"min_volume": 5}, {"min_volume": 2**63}),
        ({"name": "ASA"}, {"name": ""}),
        ({"name": "ASA"}, {"name": 5}),
        ({"minimum": 60.0}, [1, 2]),
    ],
    ids=repr,
)
def test_a_row_with_a_value_no_target_could_hold_is_ignored(engine, old, new):
    with Session(engine) as session, session.begin():
        _row(session, old, new)
        _row(session, {"minimum": 60.0}, {"minimum": 50.0})
    with Session(engine) as session:
        edits = load_edits(session)
    assert [(e.old, e.new) for e in edits] == [({"minimum": 60.0}, {"minimum": 50.0})]


def test_keys_that_are_not_editable_are_dropped_from_a_row(engine):
    with Session(engine) as session, session.begin():
        _row(session, {"minimum": 60.0, "kpi": "asa"}, {"minimum": 50.0, "kpi": "service_level"})
    with Session(engine) as session:
        (edit,) = load_edits(session)
    assert (edit.old, edit.new) == ({"minimum": 60.0}, {"minimum": 50.0})


def test_record_edit_never_writes_nan(engine):
    with Session(engine) as session, pytest.raises(ValueError):
        record_edit(
            session,
            actor="alice",
            target_id="asa",
            effective_from=DAY,
            old={"minimum": 60.0},
            new={"minimum": float("nan")},
        )
