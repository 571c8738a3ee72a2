"""``servicelevel import`` of an Asterisk queue_log as a user runs it (issue 11), on both databases.

* A one-off import of a live file leaves the line Asterisk is still writing, says so, and the next
  import reads it whole: the call is stored once and nothing is quarantined.
* A followed ``[[source]]`` with lines whose time is no time stores the good lines, quarantines
  the bad ones and moves on: the next run reads only what is new.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from queue_log_calls import calls, interleaved, text
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.cli import main
from servicelevel.store import make_engine
from servicelevel.store.schema import Call, Source

ROOT = Path(__file__).resolve().parents[2]
START = int(time.time()) - 2 * 86400  # the CLI judges "the future" by the real clock


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> tuple[Path, str]:
    (tmp_path / "targets.toml").write_text(
        (ROOT / "targets.toml").read_text()
        + '\n[[source]]\nname = "pbx"\nkind = "asterisk-queue-log"\npath = "queue_log"\n'
    )
    return tmp_path, db_url


def invoke(site: tuple[Path, str], *args: str) -> str:
    folder, url = site
    extra = ["--db", url]
    if args[0] == "import":
        extra += ["--targets", str(folder / "targets.toml")]
    result = CliRunner().invoke(main, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def count_calls(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(select(func.count()).select_from(Call)).scalar_one()
    finally:
        engine.dispose()


def test_a_one_off_import_leaves_the_line_being_written_for_the_next_run(site):
    folder, url = site
    lines = interleaved(calls(4, start=START))
    log = folder / "queue_log"
    log.write_text(text(lines[:-1]) + lines[-1][:37])
    first = invoke(site, "import", "asterisk-queue-log", str(log))
    assert f"read {len(lines) - 1}, stored {len(lines) - 1}, duplicates 0, quarantined 0" in first
    assert (
        "note: left 1 unfinished line (37 bytes) unread: it has no newline yet and the file "
        "may still be written to; it will be read on the next run"
    ) in first
    with log.open("a") as handle:
        handle.write(lines[-1][37:] + "\n")
    second = invoke(site, "import", "asterisk-queue-log", str(log))
    assert "read 1, stored 1, duplicates 0, quarantined 0" in second
    assert "unfinished" not in second
    third = invoke(site, "import", "asterisk-queue-log", str(log))  # again: nothing twice
    assert "read 0, stored 0, duplicates 0, quarantined 0" in third
    assert count_calls(url) == 4
    assert "0 row(s) in quarantine" in invoke(site, "quarantine")


def test_a_followed_source_stores_around_bad_times_and_moves_on(site):
    folder, url = site
    lines = interleaved(calls(6, start=START))
    log = folder / "queue_log"
    log.write_text(
        text([*lines[:7], "1000000000000|x1|sales|NONE|ENTERQUEUE|||1", "1.0e400|x2|q|A|PAUSE|"])
    )
    first = invoke(site, "import", "sources")
    assert "pbx: read 9, stored 7, duplicates 0, quarantined 2" in first
    assert "quarantined because: bad timestamp (2)" in first
    with log.open("a") as handle:
        handle.write(text([*lines[7:], "nan|x3|sales|NONE|ABANDON|1|1|3"]))
    second = invoke(site, "import", "sources")
    rest = len(lines) - 7
    assert f"pbx: read {rest + 1}, stored {rest}, duplicates 0, quarantined 1" in second
    assert count_calls(url) == 6
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            source = session.get(Source, "pbx")
            assert source.offset == log.stat().st_size and source.last_error is None
    finally:
        engine.dispose()
