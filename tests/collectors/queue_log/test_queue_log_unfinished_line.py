"""A one-off import of a live queue_log leaves its unfinished last line (issue 11, finding 2).

``servicelevel import asterisk-queue-log FILE`` used to take a last line without a newline as
complete: when Asterisk was still writing it, the first half was quarantined, the next import
read the second half as a line of its own (quarantined too) and the call was lost. Now the one-off
import follows the follower's rule (:mod:`servicelevel.collectors.queue_log.reading`). On both
databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

from queue_log_calls import calls, interleaved, text
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, OpenCall, Quarantine, Source

SPEC = RollupSpec.of(5, [20])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def one_off(engine, path):
    """``servicelevel import asterisk-queue-log PATH``, checked for its accounting."""
    result = import_file(engine, path, SPEC, now=NOW)
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        run = session.get(IngestRun, result.run_id)
        assert (run.read, run.stored, run.quarantined, run.status) == (
            result.read, result.stored, result.quarantined, "ok",
        )  # fmt: skip
    return result


def stored(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.execute(select(Call.callid)).scalars())


def quarantined(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(Quarantine.raw)).scalars())


def test_the_half_written_last_line_is_read_whole_by_the_next_one_off_import(engine, tmp_path):
    lines = interleaved(calls(3))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:-1]) + lines[-1][:37])  # Asterisk is writing the last line
    first = one_off(engine, log)
    assert (first.read, first.quarantined) == (len(lines) - 1, 0)
    assert first.notes == [
        "left 1 unfinished line (37 bytes) unread: it has no newline yet and the file may "
        "still be written to; it will be read on the next run"
    ]
    with Session(engine) as session:  # the next run starts at that line
        assert session.get(Source, str(log.resolve())).offset == len(text(lines[:-1]))
    with log.open("a") as handle:
        handle.write(lines[-1][37:] + "\n")
    second = one_off(engine, log)
    assert (second.read, second.stored, second.duplicates, second.quarantined) == (1, 1, 0, 0)
    assert second.notes == []
    assert stored(engine) == sorted(c.callid for c in calls(3))
    assert quarantined(engine) == []
    with Session(engine) as session:
        assert session.execute(select(OpenCall)).first() is None
    third = one_off(engine, log)  # the same file again: nothing new, nothing twice
    assert (third.read, third.stored) == (0, 0)
    assert stored(engine) == sorted(c.callid for c in calls(3))


def test_a_file_overwritten_in_place_is_read_again_from_its_start(engine, tmp_path):
    """``cp`` onto a file keeps its inode: the saved offset would land inside other lines."""
    log = tmp_path / "queue_log"
    log.write_text(text(interleaved(calls(3))))
    one_off(engine, log)
    other = interleaved(calls(5, start=1_795_100_000))
    inode = log.stat().st_ino
    with log.open("r+") as handle:
        handle.write(text(other))
        handle.truncate()
    assert log.stat().st_ino == inode and log.stat().st_size > len(text(interleaved(calls(3))))
    again = one_off(engine, log)
    assert (again.read, again.stored, again.quarantined) == (len(other), len(other), 0)
    assert len(stored(engine)) == 8
    assert quarantined(engine) == []
