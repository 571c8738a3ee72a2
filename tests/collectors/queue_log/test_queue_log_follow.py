"""Following a live queue_log (servicelevel.collectors.queue_log.follow), on both databases.

Each test plays what logrotate or Asterisk does to the file between two passes of the follower:
growth, a half-written line, rotation by rename, copytruncate, a file replaced in place. A new
follower is made for each pass, as after a restart, so the position must come from the store.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from queue_log_calls import calls, interleaved, text
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.follow import QueueLogFollower
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, OpenCall, Quarantine

SPEC = RollupSpec.of(5, [20])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def one_pass(engine, path: Path):
    """A follower started afresh (as after a restart), one pass, closed."""
    follower = QueueLogFollower(engine, path, SPEC, now=NOW)
    follower.run_once()
    follower.close()
    result = follower.result
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    return result


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def quarantined(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(q.reason, q.raw) for q in session.execute(select(Quarantine)).scalars()]


def append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text(lines))


def test_it_reads_on_from_the_saved_offset_as_the_file_grows(engine, tmp_path):
    lines = interleaved(calls(6))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:7]))
    first = one_pass(engine, log)
    append(log, lines[7:])
    second = one_pass(engine, log)
    assert (first.read, second.read) == (7, len(lines) - 7)
    assert count(engine, Call) == 6 and count(engine, OpenCall) == 0
    assert quarantined(engine) == []


def test_a_half_written_last_line_waits_for_its_newline(engine, tmp_path):
    lines = interleaved(calls(2))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:-1]) + lines[-1][:10])  # Asterisk is still writing the last line
    first = one_pass(engine, log)
    assert first.read == len(lines) - 1
    with log.open("a") as handle:
        handle.write(lines[-1][10:] + "\n")
    second = one_pass(engine, log)
    assert second.read == 1 and second.quarantined == 0
    assert count(engine, Call) == 2


def test_it_finishes_the_rotated_file_then_reads_the_new_one(engine, tmp_path):
    lines = interleaved(calls(8))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:5]))
    one_pass(engine, log)
    append(log, lines[5:9])  # written after our pass, before the rotation: still unread
    log.rename(tmp_path / "queue_log.1")
    log.write_text(text(lines[9:]))  # a call may enter in the old file and end in the new one
    second = one_pass(engine, log)
    assert second.read == len(lines) - 5
    assert count(engine, Call) == 8 and count(engine, OpenCall) == 0
    assert quarantined(engine) == []
    third = one_pass(engine, log)
    assert third.read == 0


def test_two_rotations_between_passes_are_read_oldest_first(engine, tmp_path):
    lines = interleaved(calls(9))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:4]))
    one_pass(engine, log)
    append(log, lines[4:8])
    log.rename(tmp_path / "queue_log.2")
    (tmp_path / "queue_log.1").write_text(text(lines[8:14]))
    os.utime(tmp_path / "queue_log.2", (1, 1))  # older than queue_log.1, as logrotate leaves them
    log.write_text(text(lines[14:]))
    second = one_pass(engine, log)
    assert second.read == len(lines) - 4
    assert count(engine, Call) == 9 and quarantined(engine) == []


def test_copytruncate_loses_nothing(engine, tmp_path):
    lines = interleaved(calls(8))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:6]))
    one_pass(engine, log)
    append(log, lines[6:10])  # unread when logrotate copies the file and truncates it
    shutil.copyfile(log, tmp_path / "queue_log.1")
    with log.open("r+") as handle:
        handle.truncate(0)
    append(log, lines[10:])
    second = one_pass(engine, log)
    assert second.read == len(lines) - 6
    assert count(engine, Call) == 8 and quarantined(engine) == []


def test_a_truncation_without_a_copy_is_reported_not_hidden(engine, tmp_path):
    lines = interleaved(calls(4))
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:6]))
    one_pass(engine, log)
    with log.open("r+") as handle:
        handle.truncate(0)
    append(log, lines[6:])
    second = one_pass(engine, log)
    assert any("truncated" in note for note in second.notes), second.notes
    assert second.read == len(lines) - 6


def test_a_file_rewritten_in_place_is_read_from_its_start(engine, tmp_path):
    first_calls, other_calls = calls(3), calls(5, start=1_795_100_000)
    log = tmp_path / "queue_log"
    log.write_text(text(interleaved(first_calls)))
    one_pass(engine, log)
    inode = log.stat().st_ino
    with log.open("r+") as handle:  # same inode, other (longer) content
        handle.write(text(interleaved(other_calls)))
        handle.truncate()
    assert log.stat().st_ino == inode
    second = one_pass(engine, log)
    assert any("replaced" in note for note in second.notes), second.notes
    assert count(engine, Call) == 8


def test_a_call_waiting_across_a_restart_and_a_rotation_is_one_call(engine, tmp_path):
    (call,) = calls(1)
    enter, connect, complete = call.lines()
    log = tmp_path / "queue_log"
    log.write_text(text([enter]))
    one_pass(engine, log)
    assert count(engine, OpenCall) == 1
    log.rename(tmp_path / "queue_log.1")
    log.write_text(text([connect, complete]))
    one_pass(engine, log)
    assert count(engine, OpenCall) == 0 and count(engine, Call) == 1
    with Session(engine) as session:
        stored = session.execute(select(Call)).scalar_one()
        assert (stored.outcome, stored.wait_s, stored.talk_s) == ("answered", call.wait, 60)
        runs = session.execute(select(IngestRun.status)).scalars().all()
    assert runs == ["ok", "ok"]
