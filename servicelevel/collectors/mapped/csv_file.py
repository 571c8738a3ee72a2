"""CSV exports (calls, surveys, complaints, orders, returns), read through a mapping.

Why byte offsets: an export that grows (a switch appending its call records) or an import killed
half-way must resume exactly after the last committed row. The position is the byte offset after
that row, the file's inode, and a fingerprint of the bytes just before the offset; if any of them
no longer matches (a new file under the same name, a rewritten one), the file is read again from
its header and the natural keys turn the rows already stored into duplicates.

Blank lines are not rows. A record that cannot be split into the header's columns (a stray
quote, a missing delimiter) is quarantined by line number; its text is not kept, because a
misaligned row can put a name or a phone number in any column.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped.collector import CSV_KINDS
from servicelevel.collectors.mapped.mapping import Mapping
from servicelevel.collectors.mapped.records import RowMapper
from servicelevel.collectors.mapped.tabular import Position, TabularImporter
from servicelevel.config.issues import _suggest
from servicelevel.errors import IngestError
from servicelevel.store import bounds, ingest
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.runs import failure_text

TAIL_BYTES = 64


def source_name(kind: str, path: str | Path) -> str:
    """The default source name of a file import: the kind and the file's full path.

    A name too long for its column (a deep folder) keeps the end of the path after a digest of
    the whole name: cut, two files could share a source, and PostgreSQL would refuse it.
    """
    name = f"{kind}:{Path(path).resolve()}"
    size = bounds.limit("sources.name") or len(name)
    if len(name) <= size:
        return name
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    head = f"{kind}:{digest}..."
    return head + name[len(head) - size :]


def tail_mark(handle: IO[bytes], offset: int) -> str:
    """Fingerprint of the bytes before ``offset``: tells our file from a rewritten one."""
    start = max(0, offset - TAIL_BYTES)
    handle.seek(start)
    return "tail:" + hashlib.sha1(handle.read(offset - start)).hexdigest()[:20]


class _Lines:
    """Text lines for csv.reader, remembering the byte offset and line number reached."""

    def __init__(self, handle: IO[bytes], encoding: str, final: bool, offset: int, line: int):
        self.handle = handle
        self.encoding = encoding
        self.final = final
        self.offset = offset
        self.line = line
        handle.seek(offset)

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        if not raw.endswith(b"\n") and not self.final:
            self.handle.seek(self.offset)  # a line still being written: leave it for next time
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        return raw.decode(self.encoding, "surrogateescape")

    def text(self, start: int) -> str:
        """The text read from byte ``start`` to here (a record's lines); the reading goes on."""
        self.handle.seek(start)
        data = self.handle.read(self.offset - start)
        self.handle.seek(self.offset)
        return data.decode(self.encoding, "surrogateescape")


def read_header(handle: IO[bytes], mapping: Mapping) -> tuple[list[str], int, int]:
    """(column names, byte offset after the header, lines up to it)."""
    lines = _Lines(handle, mapping.encoding, True, 0, 0)
    for _ in range(mapping.skip_lines):
        next(lines, None)
    reader = csv.reader(lines, delimiter=mapping.delimiter, quotechar=mapping.quotechar)
    header = next(reader, None)
    if not header:
        raise IngestError("no header line: the file is empty")
    names = [name.strip() for name in header]
    names[0] = names[0].lstrip("\ufeff")
    return names, lines.offset, lines.line


def check_columns(mapper: RowMapper, header: list[str], where: str) -> None:
    missing = mapper.missing_columns(header)
    if missing:
        hints = []
        for column in missing:
            hint = _suggest(column, header)
            hints.append(f'"{column}"' + (f' (did you mean "{hint}"?)' if hint else ""))
        raise IngestError(
            f"{where}: the mapping reads column(s) {', '.join(hints)} not in the header; "
            f"the header has: {', '.join(header)}"
        )


def import_csv(
    engine: Engine,
    path: str | Path,
    mapping: Mapping,
    spec: RollupSpec,
    *,
    kind: str,
    default_tz: ZoneInfo,
    name: str | None = None,
    final: bool = True,
    progress: bool = False,
    batch_rows: int = 5_000,
) -> RunResult:
    """Import ``path`` (a ``kind``-csv export) from where the last run stopped.

    ``final``: the file is complete (a one-off import), so a last line without a newline is read.
    A source that is still being written passes ``final=False``.
    """
    if kind not in CSV_KINDS:
        raise ValueError(f"not a CSV kind: {kind}")
    fact_kind = CSV_KINDS[kind]
    path = Path(path)
    name = name or source_name(kind, path)
    mapper = RowMapper(mapping, fact_kind, mapping.tz(default_tz), name)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IngestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        stat = path.stat()
        header, body_start, header_lines = read_header(handle, mapping)
        check_columns(mapper, header, str(path))
        offset, line = body_start, header_lines
        with Session(engine) as session:
            known = ingest.get_source(session, name)
            if (
                known is not None
                and known.inode == stat.st_ino
                and body_start <= (known.offset or 0) <= stat.st_size
                and known.watermark == tail_mark(handle, known.offset or 0)
            ):
                offset = known.offset or 0
                line = _count_lines(handle, offset)
        importer = TabularImporter(engine, spec, name, kind, mapper, batch_rows=batch_rows)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(
                total=stat.st_size, initial=offset, unit="B", unit_scale=True, desc=path.name
            )
        lines = _Lines(handle, mapping.encoding, final, offset, line)
        reader = csv.reader(
            lines, delimiter=mapping.delimiter, quotechar=mapping.quotechar, strict=True
        )
        width = len(header)
        committed = offset

        def position() -> Position:
            mark = tail_mark(handle, committed)
            handle.seek(lines.offset)
            return Position(inode=stat.st_ino, offset=committed, watermark=mark)

        try:
            while True:
                start_line, start = lines.line + 1, lines.offset
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if not final and "unexpected end of data" in str(exc):
                        lines.handle.seek(committed)
                        break  # a quoted field still being written
                    importer.add_broken(
                        f"{path.name}:{start_line}", f"unreadable CSV: {exc}", lines.text(start)
                    )
                    committed = lines.offset
                    continue
                committed = lines.offset
                where = f"{path.name}:{start_line}"
                if not record or record == [""]:
                    continue  # a blank line is not a row
                if len(record) != width:
                    importer.add_broken(
                        where, f"{len(record)} fields where the header has {width}",
                        lines.text(start),
                    )  # fmt: skip
                elif not _decodes(record):
                    importer.add_broken(
                        where, f"not valid {mapping.encoding} text", lines.text(start)
                    )
                else:
                    importer.add(where, dict(zip(header, record, strict=True)))
                if importer.full:
                    importer.flush(position())
                    if bar is not None:
                        bar.update(committed - bar.n)
            importer.flush(position(), final=True)
        except Exception as exc:
            importer.fail(failure_text(exc))  # never the batch's rows: the page shows it
            raise
        finally:
            if bar is not None:
                bar.update(max(committed - bar.n, 0))
                bar.close()
    return importer.result


def _count_lines(handle: IO[bytes], end: int, chunk: int = 1 << 20) -> int:
    """Lines before byte ``end`` (to name rows by line number after a resume)."""
    handle.seek(0)
    count, left = 0, end
    while left > 0:
        data = handle.read(min(chunk, left))
        if not data:
            break
        count += data.count(b"\n")
        left -= len(data)
    return count


def _decodes(record: list[str]) -> bool:
    try:
        "".join(record).encode("utf-8")
    except UnicodeEncodeError:  # surrogates: bytes that were not valid in the encoding
        return False
    return True
