"""One bad queue_log line costs nothing but itself (issue 11, finding 1), on both databases.

A line whose time is no time at all (a millisecond epoch, ``1.0e400``, ``nan``, a number of 20
digits), a line of fewer than five fields, a NUL byte (a damaged file, a UTF-16 export) used to
raise outside the per-line handling: the whole batch was lost, and a followed source failed on
every later run at the same offset. Each is now quarantined with its reason while the good
lines around it are stored, and the position moves past it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from queue_log_calls import calls, interleaved, text
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log import columnar
from servicelevel.collectors.queue_log.follow import QueueLogFollower
from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.collectors.queue_log.table import import_queue_log_table
from servicelevel.store import make_engine
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, Quarantine, Source

SPEC = RollupSpec.of(5, [20])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GOOD = interleaved(calls(6))  # 6 calls, 14 lines, all before NOW
# (first field, the start of the reason it is quarantined for)
BAD_TIMES = [
    ("1000000000000", "bad timestamp: '1000000000000' is after the year 9999 (milliseconds?)"),
    ("99999999999999999999", "bad timestamp: '99999999999999999999' is after the year 9999"),
    ("253402300800", "bad timestamp: '253402300800' is after the year 9999"),
    ("1.0e400", "bad timestamp: '1.0e400' is not a Unix time"),
    ("-1.0e400", "bad timestamp: '-1.0e400' is not a Unix time"),
    ("-5", "bad timestamp: -5 is not a Unix time"),
    ("nan", "bad timestamp: 'nan' is not a Unix time"),
    ("inf", "bad timestamp: 'inf' is not a Unix time"),
    ("9" * 5000, "bad timestamp: '999999999999999999999999999999' is not a Unix time"),
    ("253402300799", "timestamp in the future: 9999-12-31T23:59:59+00:00"),
]


def bad_line(stamp: str, n: int) -> str:
    """An ENTERQUEUE without a caller id, so that its quarantined copy is the line itself."""
    return f"{stamp}|bad{n}|sales|NONE|ENTERQUEUE|||1"


def with_bad_lines(bad: list[str]) -> list[str]:
    """The good lines with one bad line after every second good one."""
    out: list[str] = []
    for i, line in enumerate(GOOD):
        out.append(line)
        if i % 2 and bad:
            out.append(bad.pop(0))
    return out + bad


def stored(engine) -> set[str]:
    with Session(engine) as session:
        return set(session.execute(select(Call.callid)).scalars())


def reasons(engine) -> dict[str, str]:
    """raw line -> reason, of what is in the quarantine."""
    with Session(engine) as session:
        return {q.raw: q.reason for q in session.execute(select(Quarantine)).scalars()}


def check_run(engine, result) -> None:
    assert result.read == result.stored + result.duplicates + result.quarantined, result.summary()
    with Session(engine) as session:
        row = session.get(IngestRun, result.run_id)
        assert (row.read, row.stored, row.duplicates, row.quarantined, row.status) == (
            result.read, result.stored, result.duplicates, result.quarantined, "ok",
        )  # fmt: skip


@pytest.mark.parametrize("batch_lines", [1, 4, 250_000])
def test_out_of_range_timestamps_are_quarantined_and_the_good_lines_stored(
    engine, tmp_path, batch_lines
):
    bad = [bad_line(stamp, n) for n, (stamp, _) in enumerate(BAD_TIMES)]
    log = tmp_path / "queue_log"
    log.write_text(text(with_bad_lines(list(bad))))
    result = import_file(engine, log, SPEC, now=NOW, batch_lines=batch_lines)
    check_run(engine, result)
    assert (result.read, result.stored, result.duplicates, result.quarantined) == (
        len(GOOD) + len(bad), len(GOOD), 0, len(bad),
    )  # fmt: skip
    assert stored(engine) == {c.callid for c in calls(6)}
    kept = reasons(engine)
    for line, (_, reason) in zip(bad, BAD_TIMES, strict=True):
        assert kept[line].startswith(reason), (line[:40], kept[line])
    # Imported again under another name: every line is a duplicate, the bad ones too.
    again = tmp_path / "queue_log.copy"
    again.write_bytes(log.read_bytes())
    second = import_file(engine, again, SPEC, now=NOW, batch_lines=batch_lines)
    check_run(engine, second)
    assert (second.read, second.stored, second.duplicates, second.quarantined) == (
        result.read, 0, result.read, 0,
    )  # fmt: skip


def test_a_followed_file_moves_past_bad_lines_from_one_run_to_the_next(engine, tmp_path):
    log = tmp_path / "queue_log"
    passes = [
        [*GOOD[:7], bad_line("1.0e400", 1), bad_line("1000000000000", 2)],
        [*GOOD[7:], bad_line("nan", 3)],
    ]
    runs = []
    for lines in passes:
        with log.open("a") as handle:
            handle.write(text(lines))
        follower = QueueLogFollower(engine, log, SPEC, now=NOW)  # as after a restart
        follower.run_once()
        follower.close()
        check_run(engine, follower.result)
        runs.append(follower.result)
        with Session(engine) as session:
            assert session.get(Source, str(log.resolve())).offset == log.stat().st_size
    assert [(r.read, r.stored, r.quarantined) for r in runs] == [
        (9, 7, 2), (len(GOOD) - 7 + 1, len(GOOD) - 7, 1),
    ]  # fmt: skip
    assert stored(engine) == {c.callid for c in calls(6)}
    assert len(reasons(engine)) == 3


def test_a_batch_of_lines_without_five_fields_is_quarantined_line_by_line(engine, tmp_path):
    short = ["a|b", "c|d|e", "garbage", f"{GOOD[0].split('|')[0]}|x|sales|NONE"]
    split = columnar.split_batch(
        text(short).encode(), source="s", surely_past=2**40, skip_pairs=set(), pseudonym=None
    )
    assert split.slow.tolist() == [0, 1, 2, 3] and split.calls is None
    log = tmp_path / "queue_log"
    log.write_text(text(short + GOOD + short))
    for batch_lines in (len(short), 2):  # batches of short lines only, then mixed ones
        result = import_file(engine, log, SPEC, now=NOW, batch_lines=batch_lines)
        check_run(engine, result)
        log = log.rename(tmp_path / f"queue_log.{batch_lines}")
    assert stored(engine) == {c.callid for c in calls(6)}
    assert set(reasons(engine).values()) == {
        f"missing fields: expected at least 5 '|'-separated fields, got {n}" for n in (2, 3, 1, 4)
    }


def test_nul_bytes_and_utf16_lines_are_quarantined_without_their_nul(engine, tmp_path):
    """PostgreSQL holds no NUL in a text: such a line once failed its whole batch there."""
    t = GOOD[0].split("|")[0]
    nul = f"{t}|a\x00b|sales|NONE|ABANDON|1|1|5"
    zeros = "\x00" * 40 + f"{t}|NONE|sales|Agent/1|PAUSE|lunch"  # zeros left by a crash
    log = tmp_path / "queue_log"
    log.write_bytes(
        text([*GOOD[:4], nul, zeros]).encode()
        + f"{t}|u|sales|NONE|PAUSE|x\n".encode("utf-16-le")  # ends in a NUL after its newline
        + b"\n"
        + text(GOOD[4:]).encode()
    )
    result = import_file(engine, log, SPEC, now=NOW)
    check_run(engine, result)
    assert stored(engine) == {c.callid for c in calls(6)}
    kept = reasons(engine)
    assert result.quarantined == len(kept) == 4
    assert set(kept.values()) == {
        "NUL byte in the line: a damaged file, or not a text queue_log (UTF-16?)"
    }
    assert {nul.replace("\x00", "\u2400"), zeros.replace("\x00", "\u2400"), "\u2400"} < set(kept)


def test_a_realtime_table_moves_its_watermark_past_rows_with_no_time(engine, db_url, tmp_path):
    meta = MetaData()
    table = Table(
        "queue_log", meta, Column("id", Integer, primary_key=True), Column("time", Float),
        Column("callid", String(40)), Column("queuename", String(20)), Column("agent", String(20)),
        Column("event", String(20)), Column("data", String(200)),
    )  # fmt: skip
    meta.create_all(engine)

    def rows(lines: list[str], first_id: int) -> list[dict]:
        out = []
        for i, line in enumerate(lines, first_id):
            stamp, callid, queue, agent, event, *data = line.split("|")
            out.append({"id": i, "time": float(stamp), "callid": callid, "queuename": queue,
                        "agent": agent, "event": event, "data": "|".join(data)})  # fmt: skip
        return out

    first = rows(GOOD[:7], 1)
    first.insert(3, {**first[0], "id": 100, "callid": "inf", "time": math.inf})
    second = rows(GOOD[7:], 200)
    second.insert(2, {**first[0], "id": 150, "callid": "big", "time": 1e20})
    results = []
    for batch in (first, second):
        with engine.begin() as connection:
            connection.execute(insert(table), batch)
        results.append(import_queue_log_table(engine, db_url, SPEC, tz=ZoneInfo("UTC"), now=NOW))
        check_run(engine, results[-1])
    assert [(r.read, r.stored, r.quarantined) for r in results] == [
        (8, 7, 1), (len(GOOD) - 7 + 1, len(GOOD) - 7, 1),
    ]  # fmt: skip
    assert stored(engine) == {c.callid for c in calls(6)}
    assert sorted(reasons(engine).values()) == [
        "bad timestamp: '100000000000000000000' is after the year 9999",
        "bad timestamp: 'inf' is not a Unix time",
    ]


def test_bad_lines_quarantined_in_a_sqlite_file_survive_the_process(tmp_path: Path):
    """The real SQLite file, opened again: the rows, the reasons and the position are there."""
    url = f"sqlite:///{tmp_path}/servicelevel.db"
    log = tmp_path / "queue_log"
    log.write_text(text(with_bad_lines([bad_line("1000000000000", 1), bad_line("nan", 2)])))
    engine = make_engine(url)
    import_file(engine, log, SPEC, now=NOW)
    engine.dispose()
    engine = make_engine(url)
    try:
        assert stored(engine) == {c.callid for c in calls(6)}
        assert len(reasons(engine)) == 2
        with Session(engine) as session:
            assert session.get(Source, str(log.resolve())).offset == log.stat().st_size
    finally:
        engine.dispose()


@pytest.mark.parametrize("batch_lines", [1, 250_000])
def test_values_too_long_for_their_column_cost_only_their_call_on_both_databases(
    engine, tmp_path, batch_lines
):
    """Issue 11, finding 4: an 81-character queue aborted PostgreSQL's COPY of the whole batch
    (SQLite stored it). A queue or call id too long for its column is refused (cut, two could
    become one); a long agent name is cut to its column (store.bounds), alike on both."""
    long_queue = "q" * 81
    long_agent = "SIP/" + "a" * 300
    first = first_time(GOOD)
    extra = [
        f"{first}|long.1|{long_queue}|NONE|ENTERQUEUE||caller|1",
        f"{first}|{'c' * 81}|sales|NONE|ENTERQUEUE||caller|1",
        f"{first}|agent.1|sales|NONE|ENTERQUEUE||caller|1",
        f"{first + 5}|agent.1|sales|{long_agent}|CONNECT|5|x|2",
        f"{first + 65}|agent.1|sales|{long_agent}|COMPLETECALLER|5|60|1",
    ]
    log = tmp_path / "queue_log"
    log.write_text(text(GOOD + extra))
    result = import_file(engine, log, SPEC, now=NOW, batch_lines=batch_lines)
    check_run(engine, result)
    assert result.quarantined == 2, result.summary()
    assert stored(engine) == {c.callid for c in calls(6)} | {"agent.1"}
    kept = set(reasons(engine).values())
    assert kept == {"queue: longer than 80 characters", "callid: longer than 80 characters"}
    with Session(engine) as session:
        agent = session.execute(select(Call.agent).where(Call.callid == "agent.1")).scalar_one()
    assert agent is not None and long_agent.startswith(agent) and len(agent) < len(long_agent)


def first_time(lines: list[str]) -> int:
    return int(lines[0].split("|", 1)[0])


@pytest.mark.parametrize("batch_lines", [1, 250_000])
def test_each_empty_line_is_quarantined_once_and_is_a_duplicate_only_when_read_again(
    engine, tmp_path, batch_lines
):
    # Before, every empty line had the raw text "" and the reason "empty line", so the second
    # and third of a file counted as duplicates of the first: the file's accounting was false.
    lines = [GOOD[0], "", *GOOD[1:5], "   ", *GOOD[5:], ""]
    log = tmp_path / "queue_log"
    log.write_text(text(lines))
    result = import_file(engine, log, SPEC, now=NOW, batch_lines=batch_lines)
    check_run(engine, result)
    assert (result.read, result.stored, result.duplicates, result.quarantined) == (
        len(GOOD) + 3, len(GOOD), 0, 3,
    )  # fmt: skip
    with Session(engine) as session:
        places = session.execute(
            select(Quarantine.location).where(Quarantine.reason == "empty line")
        ).scalars()
        assert sorted(places) == sorted(["queue_log:2", "queue_log:7", f"queue_log:{len(lines)}"])
    # The same file under its rotated name: its three empty lines are the three already kept.
    again = tmp_path / "queue_log.1"
    again.write_bytes(log.read_bytes())
    second = import_file(engine, again, SPEC, now=NOW, batch_lines=batch_lines)
    check_run(engine, second)
    assert (second.stored, second.duplicates, second.quarantined) == (0, result.read, 0)
