"""Each file's accounting holds on its own: read = stored + duplicates + quarantined, honestly.

A quarantined row is a duplicate only when the same row of the same source, at the same place,
was quarantined before for the same reason (a re-read). Rows that cannot be split into columns
keep no text (their fields are misaligned, a name can sit in any of them), so before this they
all looked alike: a second file's bad rows, and every bad row after the first in one file,
were counted as "duplicates" and left no trace in the quarantine.

The rows are the real bank call-centre day of the shared data folder, split in two files, with
a few records damaged the way exports get damaged (a field lost, a stray quote).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import load_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Quarantine

REPO = Path(__file__).resolve().parents[3]
BANK = REPO / ".." / "shared" / "data" / "anonymous-bank-callcentre-1day" / "calls_one_day.csv"
SPEC = RollupSpec.of(5, [20])
DAMAGED = {5: "lost", 40: "lost", 77: "quote"}  # row index in each file -> the damage done

pytestmark = pytest.mark.skipif(not BANK.is_file(), reason="the shared data folder is missing")


def damage(line: str, how: str) -> str:
    fields = line.split(",")
    if how == "lost":
        return ",".join(fields[:-1])  # 16 fields where the header has 17
    fields[4] = '"PS"x'  # text after a closing quote: csv refuses the record
    return ",".join(fields)


def part(folder: Path, name: str, lines: list[str], header: str) -> tuple[Path, int]:
    """A file of ``lines`` with DAMAGED applied; returns it and how many rows skip rules take."""
    rows = [damage(line, DAMAGED[i]) if i in DAMAGED else line for i, line in enumerate(lines)]
    path = folder / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="ascii")
    sound = [r for i, r in enumerate(csv.DictReader([header, *lines])) if i not in DAMAGED]
    skipped = sum(
        r["outcome"] == "PHANTOM" or (r["outcome"] == "HANG" and r["q_start"] == "0:00:00")
        for r in sound
    )
    return path, skipped


def bank_import(engine, path: Path):
    mapping = load_mapping(REPO / "examples" / "anonymous-bank.toml", "calls")
    result = import_csv(engine, path, mapping, SPEC, kind="calls-csv", default_tz=ZoneInfo("UTC"))
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    return result


def kept(engine, name: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(Quarantine.location.startswith(f"{name}:"))
        return session.execute(query).scalar_one()


def test_two_files_with_distinct_bad_rows_each_add_up_and_a_reread_is_duplicates(engine, tmp_path):
    header, *lines = BANK.read_text(encoding="ascii").splitlines()
    first, skipped_first = part(tmp_path, "morning.csv", lines[:1000], header)
    second, skipped_second = part(tmp_path, "afternoon.csv", lines[1000:2000], header)

    a = bank_import(engine, first)
    b = bank_import(engine, second)
    for result, skipped in ((a, skipped_first), (b, skipped_second)):
        assert (result.read, result.duplicates) == (1000, 0)
        assert result.quarantined == skipped + len(DAMAGED)
        assert result.stored == 1000 - skipped - len(DAMAGED)
        assert result.reasons["16 fields where the header has 17"] == 2
        assert sum(n for r, n in result.reasons.items() if r.startswith("unreadable CSV")) == 1
    assert kept(engine, "morning.csv") == a.quarantined
    assert kept(engine, "afternoon.csv") == b.quarantined

    # The export is written again (a new file, same name, same rows): a re-read.
    copy = tmp_path / "copy.csv"
    shutil.copy(first, copy)
    os.replace(copy, first)
    again = bank_import(engine, first)
    assert (again.read, again.stored, again.quarantined) == (1000, 0, 0)
    assert again.duplicates == 1000
    assert kept(engine, "morning.csv") == a.quarantined


def test_another_days_export_under_the_same_name_keeps_its_own_bad_rows(engine, tmp_path):
    """Same file name, same line numbers, same reasons, other rows: not duplicates."""
    header, *lines = BANK.read_text(encoding="ascii").splitlines()
    monday, _ = part(tmp_path, "export.csv", lines[:1000], header)
    first = bank_import(engine, monday)
    monday.unlink()
    tuesday, skipped = part(tmp_path, "export.csv", lines[1000:2000], header)
    second = bank_import(engine, tuesday)
    assert second.read == 1000 and second.duplicates == 0
    assert second.quarantined == skipped + len(DAMAGED)
    assert kept(engine, "export.csv") == first.quarantined + second.quarantined
