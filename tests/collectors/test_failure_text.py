"""A batch the database refuses leaves a failure text with no row data in it.

``sources.last_error`` and ``ingest_runs.error`` are shown on the Sources page and by the CLI.
SQLAlchemy's message holds the statement's parameters (agent names, call ids) and PostgreSQL's
the failing row ("Failing row contains (...)", "COPY calls, line 1: ..."); what is kept is the
error's class and its first line, without SQL, parameters or quoted values.

The database is made to refuse the batch the way a real one would: a trigger (SQLite) or a CHECK
constraint (PostgreSQL) added for the test.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.mapping import SourceConfig
from servicelevel.collectors.runner import run_sources
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import IngestRun, Source

SPEC = RollupSpec.of(5, [20])
AGENT = "Zelda Quartermain"  # a name that must not leave the calls table
CALL_ID = "call-7731"


def refuse_long_waits(engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON calls WHEN NEW.wait_s > 600 "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            ))  # fmt: skip
        else:
            connection.execute(
                text("ALTER TABLE calls ADD CONSTRAINT refuse CHECK (wait_s <= 600)")
            )


def source(tmp_path: Path) -> SourceConfig:
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,queue,entered,answered,wait,agent\n"
        f"{CALL_ID},sales,2026-03-02 09:00:00,2026-03-02 09:15:00,900,{AGENT}\n",
        encoding="utf-8",
    )
    return SourceConfig.model_validate({
        "name": "acd", "kind": "calls-csv", "path": str(path),
        "columns": {"callid": "id", "queue": "queue", "entered_at": "entered",
                    "answered_at": "answered", "wait_s": "wait", "agent": "agent"},
    })  # fmt: skip


def test_a_refused_batch_keeps_no_agent_name_in_the_failure_text(engine, tmp_path):
    refuse_long_waits(engine)
    (outcome,) = run_sources(engine, [source(tmp_path)], SPEC, default_tz=ZoneInfo("UTC"))
    assert outcome.result is None and outcome.error
    with Session(engine) as session:
        stored = session.get(Source, "acd")
        run = session.execute(select(IngestRun)).scalar_one()
    assert run.status == "failed"
    for shown in (outcome.error, stored.last_error, run.error):
        assert AGENT not in shown and "Zelda" not in shown and CALL_ID not in shown, shown
        assert "parameters" not in shown and "INSERT" not in shown and "COPY" not in shown, shown
    expected = "IntegrityError: " if engine.dialect.name == "sqlite" else "CheckViolation: "
    assert stored.last_error.startswith(expected), stored.last_error


def test_the_logged_traceback_of_a_refused_batch_holds_no_row_data(engine, tmp_path, caplog):
    # PostgreSQL's COPY error quotes the failing line in its CONTEXT ("COPY calls, line 1:
    # ...Zelda Quartermain...") and log.exception printed it with every chained exception.
    refuse_long_waits(engine)
    with caplog.at_level("WARNING", logger="servicelevel"):
        run_sources(engine, [source(tmp_path)], SPEC, default_tz=ZoneInfo("UTC"))
    (record,) = [r for r in caplog.records if "source acd failed" in r.getMessage()]
    logged = caplog.text
    assert "Traceback (most recent call last)" in logged  # the frames stay, for a developer
    assert 'File "' in logged
    for secret in (AGENT, "Zelda", CALL_ID, "Failing row", "DETAIL"):
        assert secret not in logged, logged
    assert record.exc_info is None


def test_the_failure_traceback_keeps_frames_and_the_chain_without_values():
    from servicelevel.store.runs import failure_traceback

    row = f"{AGENT} 555-0199"  # the frames show code lines, never the values in them

    def convert() -> None:
        try:
            int(row)
        except ValueError as exc:
            raise RuntimeError(f"batch refused: {row!r}") from exc

    try:
        convert()
    except RuntimeError as exc:
        text_ = failure_traceback(exc)
    assert "in convert" in text_ and "The above was caused by:" in text_
    assert text_.count("Traceback (most recent call last)") == 2
    assert "RuntimeError: batch refused: (value not shown)" in text_
    assert "ValueError: invalid literal for int() with base 10: (value not shown)" in text_
    assert "Zelda" not in text_ and "555-0199" not in text_
