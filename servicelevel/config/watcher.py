"""Live reload of targets.toml for long-running processes."""

from __future__ import annotations

import threading
from pathlib import Path

from servicelevel.config.issues import ConfigIssue
from servicelevel.config.loading import load_targets
from servicelevel.config.models import Targets

# --- live reload -----------------------------------------------------------------------

_NOTHING_READ = object()


class TargetsWatcher:
    """The current targets for a long-running process; a bad edit never takes it down.

    Re-reads the file when its modification time, size or inode changes. On errors it keeps
    serving the last good targets and returns the new errors, for a banner.

    Why two locks: parsing takes seconds per MiB, and every dashboard request asks for
    the targets. One caller re-reads a changed file (holding ``_reload``) while the others get
    the previous targets at once; ``_state`` is only held to read or swap the fields, never
    during a read. Only before the first read is there nothing to serve, so callers wait then.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._state = threading.Lock()  # guards the three fields below, briefly
        self._reload = threading.Lock()  # held by the one caller re-reading the file
        self._seen: tuple[int, int, int] | object | None = _NOTHING_READ
        self._targets: Targets | None = None
        self._errors: list[ConfigIssue] = []

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _served(self) -> tuple[Targets | None, list[ConfigIssue]]:
        with self._state:
            return self._targets, list(self._errors)

    def current(self, *, wait: bool = False) -> tuple[Targets | None, list[ConfigIssue]]:
        """The targets and the file's errors; never waits for another caller's re-read,
        unless nothing was read yet or ``wait`` (a caller that just wrote the file and must see
        its own change)."""
        signature = self._signature()
        with self._state:
            if signature == self._seen:
                return self._targets, list(self._errors)
            first = self._seen is _NOTHING_READ
        if not self._reload.acquire(blocking=first or wait):
            return self._served()  # someone is re-reading: the last good targets meanwhile
        try:
            signature = self._signature()  # the re-read we may have waited for saw it?
            with self._state:
                if signature == self._seen:
                    return self._targets, list(self._errors)
            result = load_targets(self.path)  # the slow part, with no lock a reader needs
            with self._state:
                self._seen = signature  # taken before the read: a later change is seen next
                if result.ok:
                    self._targets, self._errors = result.targets, []
                else:
                    self._errors = result.errors
                return self._targets, list(self._errors)
        finally:
            self._reload.release()
