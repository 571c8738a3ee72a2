"""Text longer than its store column gives the same result on SQLite and PostgreSQL.

SQLite stores a string of any length in a ``VARCHAR(80)``; PostgreSQL refuses it and, in a COPY,
the whole batch with it. So the bound is applied when a row is read, from the column sizes of
``servicelevel/store/schema.py``: an id or a queue that does not fit quarantines its row (cut, it
could merge two queues or two calls), free text is cut.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import (
    Call,
    Complaint,
    IngestRun,
    Quarantine,
    Rollup,
    Source,
    Survey,
)

SPEC = RollupSpec.of(5, [20])
UTC_ZONE = ZoneInfo("UTC")
QUEUE_SIZE = Call.__table__.c.queue.type.length  # 80
KEY_SIZE = Survey.__table__.c.survey_key.type.length  # 120
SOLUTION_SIZE = Complaint.__table__.c.solution.type.length  # free text, cut to size
SOURCE_SIZE = Source.__table__.c.name.type.length  # 200

CALLS = """
kind = "calls"
[columns]
callid = "id"
queue = "queue"
entered_at = "entered"
answered_at = "answered"
agent = "agent"
"""
COMPLAINTS = """
kind = "complaints"
[columns]
key = "ticket"
opened_at = "opened"
solution = "solution"
[survey]
score = "score"
"""


def load(engine, path: Path, mapping: str, kind: str, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_csv(
        engine, path, parse_mapping(mapping, "m.toml"), SPEC, kind=kind, default_tz=UTC_ZONE
    )
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        assert session.get(IngestRun, result.run_id).status == "ok"
    return result


def test_a_queue_longer_than_its_column_is_quarantined_not_cut(engine, tmp_path):
    long_a = "Q" * QUEUE_SIZE + "-retail"
    long_b = "Q" * QUEUE_SIZE + "-business"  # the same first 80 characters: cut, they would merge
    fits = "F" * QUEUE_SIZE
    result = load(engine, tmp_path / "calls.csv", CALLS, "calls-csv", [
        "id,queue,entered,answered,agent",
        f"c-1,{long_a},2026-03-02 09:00:00,2026-03-02 09:00:10,Ann",
        f"c-2,{long_b},2026-03-02 09:01:00,2026-03-02 09:01:10,Bob",
        f"c-3,{fits},2026-03-02 09:02:00,2026-03-02 09:02:10,Cy",
    ])  # fmt: skip
    assert (result.read, result.stored, result.quarantined) == (3, 1, 2)
    assert result.reasons == {"queue too long": 2}
    with Session(engine) as session:
        assert session.execute(select(Call.queue)).scalars().all() == [fits]
        assert session.execute(select(Rollup.queue).distinct()).scalars().all() == [fits]
        reasons = session.execute(select(Quarantine.reason)).scalars().all()
    assert reasons == [f"queue: longer than {QUEUE_SIZE} characters"] * 2


def test_a_survey_key_made_from_a_long_complaint_key_is_bounded_too(engine, tmp_path):
    """The survey of a complaint is keyed "<complaint key>:survey": 7 characters more."""
    near_limit = "T" * (KEY_SIZE - 3)
    solution = "n" * (SOLUTION_SIZE + 50)
    result = load(engine, tmp_path / "complaints.csv", COMPLAINTS, "complaints-csv", [
        "ticket,opened,solution,score",
        f"{near_limit},2026-03-02 09:00:00,{solution},4",
        f"T-2,2026-03-02 10:00:00,{solution},5",
    ])  # fmt: skip
    assert (result.read, result.stored, result.quarantined) == (2, 1, 1)
    assert result.reasons == {"survey key too long": 1}
    with Session(engine) as session:
        complaint = session.execute(select(Complaint)).scalar_one()
        survey = session.execute(select(Survey)).scalar_one()
        (reason,) = session.execute(select(Quarantine.reason)).scalars()
    assert (complaint.complaint_key, complaint.solution) == ("T-2", "n" * SOLUTION_SIZE)
    assert survey.survey_key == "T-2:survey"
    assert reason.startswith(f"survey key: longer than {KEY_SIZE} characters")


def test_a_file_deep_in_folders_gets_a_source_name_that_fits(engine, tmp_path):
    """The default name is the kind and the full path; the sources table holds 200 characters."""
    rows = ["id,queue,entered,answered,agent", "c-1,sales,2026-03-02 09:00:00,2026-03-02 09:00:05,"]
    names = []
    for top in ("a", "b"):  # two folders, the same deep path below each
        folder = tmp_path / top / ("x" * 60) / ("y" * 60) / ("z" * 60)
        folder.mkdir(parents=True)
        result = load(engine, folder / "calls.csv", CALLS, "calls-csv", rows)
        assert (result.read, result.stored + result.duplicates) == (1, 1), result.reasons
        names.append(result.source)
    with Session(engine) as session:
        stored = session.execute(select(Source.name).order_by(Source.name)).scalars().all()
    assert len(set(names)) == 2 and sorted(names) == stored
    assert all(len(n) <= SOURCE_SIZE and n.endswith("/calls.csv") for n in names)
