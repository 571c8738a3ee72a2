"""The real files of the shared data folder import with accounting that adds up.

The folder sits beside the repository (see each file's SOURCE.md). The expected figures below
were counted from the files themselves with the csv module (see the SOURCE.md counts): the bank
day has 2,375 rows, of which 118 callers hung up in the VRU without queueing and 18 are
PHANTOM rows; the CFPB extract has 1,000 complaints, 211 of them disputed.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import load_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, Complaint, Rollup, RollupThreshold, Survey

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / ".." / "shared" / "data"
BANK = DATA / "anonymous-bank-callcentre-1day" / "calls_one_day.csv"
CFPB = DATA / "cfpb-consumer-complaints" / "Consumer_Complaints.csv"
SPEC = RollupSpec.of(5, [20])

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data folder is missing")


def bank_import(engine):
    mapping = load_mapping(REPO / "examples" / "anonymous-bank.toml", "calls")
    return import_csv(engine, BANK, mapping, SPEC, kind="calls-csv", default_tz=ZoneInfo("UTC"))


def test_the_bank_day_imports_every_row_accounted_for(engine):
    result = bank_import(engine)
    assert (result.read, result.stored, result.duplicates, result.quarantined) == (
        2375, 2239, 0, 136,
    )  # fmt: skip
    assert result.reasons == {
        "skipped by the mapping (never queued, the caller hung up in the VRU)": 118,
        "skipped by the mapping (a PHANTOM call, which the data set marks as not a real call)": 18,
    }
    again = bank_import(engine)
    assert again.read == 0  # resumed at the end of the file


def test_the_bank_day_calls_match_the_file(engine):
    bank_import(engine)
    with BANK.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    queued = [r for r in rows if r["outcome"] != "PHANTOM" and not (
        r["outcome"] == "HANG" and r["q_start"] == "0:00:00")]  # fmt: skip
    with Session(engine) as session:
        outcomes = dict(
            session.execute(select(Call.outcome, func.count()).group_by(Call.outcome)).all()
        )
        assert outcomes == {
            "answered": sum(r["outcome"] == "AGENT" for r in queued),
            "abandoned": sum(r["outcome"] == "HANG" for r in queued),
        }
        assert session.execute(select(func.min(Call.wait_s))).scalar_one() == 0.0
        offered = session.execute(select(func.sum(Rollup.offered))).scalar_one()
        short = session.execute(select(func.sum(Rollup.short_abandoned))).scalar_one()
        within = session.execute(select(func.sum(RollupThreshold.answered_within))).scalar_one()
    assert offered + short == len(queued)
    assert 0 < within <= outcomes["answered"]


def test_a_bank_call_is_stored_in_utc_with_its_wait_and_talk(engine):
    bank_import(engine)
    # Line 33: AA0105,43722,...,PS,2010-08-01,...,q_start 10:02:33,...,ser_start 10:03:24,
    # ser_time 156, server NAAMA. Israel is on summer time (UTC+3) on 1 August.
    with Session(engine) as session:
        call = session.execute(select(Call).where(Call.callid == "AA0105-43722")).scalar_one()
    assert call.queue == "PS"
    assert call.entered_at == datetime(2010, 8, 1, 7, 2, 33, tzinfo=UTC)
    assert (call.outcome, call.wait_s, call.talk_s, call.agent) == (
        "answered",
        51.0,
        156.0,
        "NAAMA",
    )


def test_the_cfpb_extract_becomes_complaints_and_a_satisfaction_signal(engine):
    mapping = load_mapping(REPO / "examples" / "cfpb-complaints.toml")
    result = import_csv(
        engine, CFPB, mapping, SPEC, kind="complaints-csv", default_tz=ZoneInfo("UTC")
    )
    assert (result.read, result.stored, result.duplicates, result.quarantined) == (1000, 1000, 0, 0)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 1000
        scores = dict(
            session.execute(select(Survey.score, func.count()).group_by(Survey.score)).all()
        )
        first = session.execute(
            select(Complaint).where(Complaint.complaint_key == "511074")
        ).scalar_one()
    assert scores == {5: 789, 1: 211}
    # 8/30/2013 in New York (UTC-4 in summer) starts at 04:00 UTC.
    assert first.opened_at == datetime(2013, 8, 30, 4, 0, tzinfo=UTC)
    assert first.resolved_at == datetime(2013, 9, 3, 4, 0, tzinfo=UTC)
    # The nature is the product, a category: the free-text columns are never stored.
    assert first.nature == "Mortgage"
    with Session(engine) as session:
        natures = dict(
            session.execute(select(Complaint.nature, func.count()).group_by(Complaint.nature)).all()
        )
    assert natures["Mortgage"] == 343 and "other" not in natures and len(natures) == 8
    with engine.connect() as connection:
        stored = " ".join(
            str(row) for table in ("complaints", "surveys", "quarantine")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )  # fmt: skip
    assert "95993" not in stored and "91104" not in stored  # zip codes are never kept
