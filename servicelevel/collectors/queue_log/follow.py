"""Follow a live Asterisk ``queue_log``: growth, rotation and truncation, from a saved position.

Why this is more than ``tail -f``: logrotate (or Asterisk's own ``logger rotate``) moves the file
away while we are reading it, and the position we saved (offset + inode) must still tell us,
after a restart, exactly which lines are already stored. Three cases:

* **growth**: same inode, at least as long as the saved offset -> read on from the offset;
* **rotation by rename** (``queue_log`` -> ``queue_log.1``, a new ``queue_log``): the file with
  the saved inode is found among the rotated siblings and finished first, then any newer
  sibling, then the new file from its start;
* **truncation in place** (logrotate ``copytruncate``): the saved offset is past the end of the
  file. The copy is the sibling whose bytes just before the offset match the fingerprint saved
  with the position; it is finished from the offset, then the file is read from its start.

A file under the same name and inode but with other content (inode numbers are reused) fails
the fingerprint check and is read from its start. Compressed rotations (``.gz``...) are not
read: when the file we stopped in is gone, the run says so in a note instead of guessing.
A last line without a newline is left for the next pass (Asterisk may be writing it), in the
live file always, in a rotated one until it has settled: the rule of :mod:`.reading`, which the
one-off import follows too.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped.tabular import close_interrupted_runs
from servicelevel.collectors.queue_log.importer import QueueLogImporter, source_name
from servicelevel.collectors.queue_log.reading import (
    WholeLines,
    matches,
    resumes_at,
    settled_size,
)
from servicelevel.store import ingest
from servicelevel.store.rollups import RollupSpec

COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of one file to read: from ``start`` to its end."""

    path: Path
    inode: int
    start: int
    complete: bool  # rotated away: once settled, a last line without a newline is a line


def rotated_siblings(path: Path) -> list[tuple[Path, os.stat_result]]:
    """``queue_log.1``, ``queue_log-20240301``...: uncompressed, oldest first."""
    found = []
    for pattern in (f"{path.name}.*", f"{path.name}-*"):
        for candidate in path.parent.glob(pattern):
            if candidate.name.endswith(COMPRESSED) or not candidate.is_file():
                continue
            try:
                found.append((candidate, candidate.stat()))
            except OSError:
                continue
    return sorted(found, key=lambda item: (item[1].st_mtime, item[0].name), reverse=False)


class QueueLogFollower:
    """Reads what is new in a live queue_log on each :meth:`run_once`; one ingest run in all."""

    def __init__(
        self,
        engine: Engine,
        path: str | Path,
        spec: RollupSpec,
        *,
        name: str | None = None,
        batch_lines: int = 20_000,
        now: datetime | None = None,
    ) -> None:
        self.engine = engine
        self.path = Path(path)
        self.name = name or source_name(self.path)
        close_interrupted_runs(engine, self.name)
        self.importer = QueueLogImporter(engine, spec, self.name, batch_lines=batch_lines, now=now)
        self._finished = False
        self._noted: set[str] = set()

    @property
    def result(self) -> RunResult:
        return self.importer.result

    def _note(self, text: str) -> None:
        if text not in self._noted:
            self._noted.add(text)
            self.result.notes.append(text)

    # -- where to read ----------------------------------------------------------------------
    def plan(self) -> list[Segment]:
        """The file parts to read now, oldest first, from the saved position."""
        with Session(self.engine) as session:
            saved = ingest.get_source(session, self.name)
            inode, offset, mark = (
                (saved.inode, saved.offset or 0, saved.watermark) if saved else (None, 0, None)
            )
        try:
            current: os.stat_result | None = self.path.stat()
        except FileNotFoundError:
            current = None  # between the rename and the new file: read the rotated one
        if inode is None:
            return [Segment(self.path, current.st_ino, 0, False)] if current else []
        if current is not None and current.st_ino == inode:
            if resumes_at(self.path, current.st_size, offset, mark):
                return [Segment(self.path, inode, offset, False)]  # it grew (or nothing new)
            # Truncated (copytruncate), perhaps written again past our offset: finish the copy.
            copy = next(
                (
                    (p, st)
                    for p, st in reversed(rotated_siblings(self.path))
                    if st.st_size >= offset and matches(p, offset, mark)
                ),
                None,
            )
            if copy is not None:
                return [
                    Segment(copy[0], copy[1].st_ino, offset, True),
                    Segment(self.path, inode, 0, False),
                ]
            if current.st_size >= offset:
                self._note(f"{self.path.name} was replaced (same inode, other content): "
                           "read again from its start")  # fmt: skip
            else:
                self._note(
                    f"{self.path.name} was truncated and no copy of it was found: lines "
                    f"written after byte {offset} before the truncation were not read"
                )
            return [Segment(self.path, inode, 0, False)]
        siblings = rotated_siblings(self.path)
        at = next((i for i, (_, st) in enumerate(siblings) if st.st_ino == inode), None)
        segments = []
        if at is None:
            self._note(f"the file read last (inode {inode}) is gone: lines written to it after "
                       f"byte {offset} were not read")  # fmt: skip
        else:
            old_path, old = siblings[at]
            segments.append(Segment(old_path, inode, min(offset, old.st_size), True))
            segments += [Segment(p, st.st_ino, 0, True) for p, st in siblings[at + 1 :]]
        if current is not None:
            segments.append(Segment(self.path, current.st_ino, 0, False))
        return segments

    # -- reading ----------------------------------------------------------------------------
    def run_once(self, *, final: bool = False) -> RunResult:
        """Read everything new (across a rotation) and commit it; returns the run so far."""
        for segment in self.plan():
            if not self._read(segment):
                break  # a rotated file may still get its last line: come back next time
        self.importer.expire_stale()
        self.importer.flush(final=final)  # also on an idle pass: the source is alive
        if final:
            self._finished = True
        return self.result

    def _read(self, segment: Segment) -> bool:
        """Read one segment; False when it ended early (its last line is still being written)."""
        try:
            handle = segment.path.open("rb")
        except FileNotFoundError:
            return True  # rotated again meanwhile: the next plan finds it
        with handle:
            if os.fstat(handle.fileno()).st_ino != segment.inode:
                return False  # replaced between plan and open: plan again next time
            complete_at = settled_size(handle) if segment.complete else None
            lines = WholeLines(
                handle, segment.start, complete_at=complete_at,
                batch_lines=self.importer.batch_lines,
            )  # fmt: skip
            self.importer.feed_file(handle, segment.inode, lines, file_name=segment.path.name)
            self.importer.flush_at(handle, segment.inode, lines.end)
            return not segment.complete or lines.end >= os.fstat(handle.fileno()).st_size

    def close(self) -> None:
        """Commit what is pending and finish the run."""
        if self._finished:
            return
        self.importer.flush()
        with Session(self.engine) as session, session.begin():
            assert self.result.run_id is not None
            ingest.finish_run(session, self.result.run_id, "ok")
        self._finished = True

    def follow(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Poll until ``stop`` is set (the scheduler's job runs this in a thread)."""
        try:
            while not stop.is_set():
                self.run_once()
                stop.wait(interval)
        finally:
            self.close()
