"""Whole lines of a queue_log file from a saved offset: one rule for the import and the follower.

Why one rule: Asterisk appends each line as it happens, so a reader can come between the first
bytes of a line and its newline. Read as it is, that half line is quarantined, the next run reads
the other half as a line of its own (quarantined too), and the call is lost: a replay cannot join
the halves. So a last line without a newline is left unread and the saved offset stops before
it; the next run reads it whole. Only a file nobody writes to any more is *complete*: one not
modified for :data:`SETTLE_SECONDS` (a rotated file, a finished export) has its last line read
as it is, newline or not.

Where a run resumes: at the saved offset when the file is the one read last (same inode), at least
that long, and its bytes just before the offset are the ones saved with it (:func:`fingerprint`:
inode numbers are reused, and ``cp`` onto a file keeps its inode). Otherwise from its start; the
natural keys of the store make the lines read again duplicates.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

READ_BYTES = 1 << 24
TAIL_BYTES = 64
SETTLE_SECONDS = 5.0  # a file written to this recently may still get the end of its last line


def settled_size(handle: IO[bytes]) -> int | None:
    """The size of the open file if it was last modified :data:`SETTLE_SECONDS` ago or more,
    else None: a last line without a newline is complete only up to that size (a line written
    after this look may be being written)."""
    stat = os.fstat(handle.fileno())
    return stat.st_size if time.time() - stat.st_mtime >= SETTLE_SECONDS else None


def fingerprint(handle: IO[bytes], offset: int) -> str:
    """``tail:<offset>:<hash of the bytes before offset>``."""
    start = max(0, offset - TAIL_BYTES)
    handle.seek(start)
    digest = hashlib.sha1(handle.read(offset - start)).hexdigest()[:20]
    return f"tail:{offset}:{digest}"


def matches(path: Path, offset: int, mark: str | None) -> bool:
    """Whether ``path`` still has, before ``offset``, the bytes ``mark`` was taken of."""
    if not mark or not mark.startswith(f"tail:{offset}:"):
        return False
    try:
        with path.open("rb") as handle:
            return fingerprint(handle, offset) == mark
    except OSError:
        return False


def resumes_at(path: Path, size: int, offset: int, mark: str | None) -> bool:
    """Whether ``path`` (``size`` bytes, the inode saved) goes on where the run that saved
    (``offset``, ``mark``) stopped: it grew, or did not change, since.

    A position saved without a fingerprint (by an older version) is trusted on inode and size.
    """
    if size < offset:
        return False
    if not offset or not (mark or "").startswith(f"tail:{offset}:"):
        return True
    return matches(path, offset, mark)


class WholeLines:
    """``for buf, start in WholeLines(...)``: batches of at most ``batch_lines`` whole lines.

    ``start`` is the file offset of ``buf``. After each batch, :attr:`end` is the offset just past
    it (where the next run resumes); after the loop, :attr:`unfinished` is the size of a last line
    left unread for want of its newline (0: none). With ``complete_at`` (see :func:`settled_size`)
    a last line ending exactly there is read as it is.
    The handle may be moved between two batches (a fingerprint is taken of it): each read seeks.
    """

    def __init__(
        self, handle: IO[bytes], offset: int, *, complete_at: int | None, batch_lines: int
    ) -> None:
        self.handle = handle
        self.end = offset
        self.complete_at = complete_at
        self.batch_lines = batch_lines
        self.unfinished = 0

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        read_at = self.end
        buf, eof = b"", False
        while True:
            while not eof and buf.count(b"\n") < self.batch_lines:
                self.handle.seek(read_at)
                more = self.handle.read(READ_BYTES)
                read_at += len(more)
                buf += more
                eof = not more
            newlines = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10)
            if len(newlines) >= self.batch_lines:
                cut = int(newlines[self.batch_lines - 1]) + 1
            elif eof and read_at == self.complete_at:
                cut = len(buf)
            else:
                cut = int(newlines[-1]) + 1 if len(newlines) else 0
            if cut == 0:
                self.unfinished = len(buf)
                return
            start = self.end
            self.end += cut
            yield buf[:cut], start
            buf = buf[cut:]

    def note(self) -> str | None:
        """What to tell the user about a line left unread, if any."""
        if not self.unfinished:
            return None
        return (
            f"left 1 unfinished line ({self.unfinished} bytes) unread: it has no newline yet "
            "and the file may still be written to; it will be read on the next run"
        )
