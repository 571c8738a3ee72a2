"""Live reload of targets.toml for long-running processes."""

from __future__ import annotations

import threading
from pathlib import Path

from servicelevel.config.issues import ConfigIssue
from servicelevel.config.loading import load_targets
from servicelevel.config.models import Targets

# --- live reload -----------------------------------------------------------------------


class TargetsWatcher:
    """The current targets for a long-running process; a bad edit never takes it down.

    Re-reads the file when its modification time, size or inode changes. On errors it keeps
    serving the last good targets and returns the new errors, for a banner.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | object | None = object()  # nothing read yet
        self._targets: Targets | None = None
        self._errors: list[ConfigIssue] = []

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def current(self) -> tuple[Targets | None, list[ConfigIssue]]:
        with self._lock:
            signature = self._signature()
            if signature != self._seen:
                self._seen = signature
                result = load_targets(self.path)
                if result.ok:
                    self._targets, self._errors = result.targets, []
                else:
                    self._errors = result.errors
            return self._targets, list(self._errors)
