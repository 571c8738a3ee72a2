"""The running dashboard's shared state: store, targets, clock, and the per-tick Live cache.

Why a cache per refresh tick: a contact centre may leave twenty wallboards open, each polling
every ``refresh_seconds``. Ticks are aligned on the wall clock (``epoch // refresh_seconds``), so
every client asking within the same tick gets the one evaluation made for it, and the database
sees one evaluation per tick however many screens are open. The lock also means a burst of
clients at the start of a tick waits for the first evaluation instead of starting its own.

Pages reach the state through :func:`current`, which reads it from the Flask app serving the
request, so several apps (tests) can live in one process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import flask
from sqlalchemy import Engine

from servicelevel.config import ConfigIssue, Targets, TargetsWatcher
from servicelevel.config.history import History, load_history

from .response_cache import ResponseCache

EXTENSION = "servicelevel"
DEFAULT_REFRESH_S = 10
T = TypeVar("T")


class TickCache(Generic[T]):
    """One value per key; computing a new key replaces the old value. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = object()
        self._value: T | None = None
        self.computed = 0  # how many times compute ran (tests and the benchmark read it)

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            if key != self._key or self._value is None:
                self._value = compute()
                self._key = key
                self.computed += 1
            return self._value

    def clear(self) -> None:
        with self._lock:
            self._key, self._value = object(), None


@dataclass
class AppState:
    engine: Engine
    targets_path: Path
    watcher: TargetsWatcher
    demo: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    live_cache: TickCache[Any] = field(default_factory=TickCache)
    history_cache: TickCache[History] = field(default_factory=TickCache)
    banner_cache: TickCache[Any] = field(default_factory=TickCache)
    responses: ResponseCache = field(default_factory=ResponseCache)
    edit_lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        return self.clock()

    def targets(self) -> tuple[Targets | None, list[ConfigIssue]]:
        """The current targets (the last good ones if the file is broken) and its errors."""
        return self.watcher.current()

    def history(self, tick: int) -> History:
        return self.history_cache.get(tick, lambda: load_history(self.engine))

    def refresh_seconds(self, targets: Targets | None) -> int:
        """The page refresh period: the targets' own, or the default while none are loaded."""
        return targets.operation.refresh_seconds if targets else DEFAULT_REFRESH_S

    def tick(self, targets: Targets | None) -> int:
        return int(self.now().timestamp() // self.refresh_seconds(targets))

    def forget_history(self) -> None:
        """After an edit: the next read must see the new audit row."""
        self.history_cache.clear()
        self.live_cache.clear()
        self.banner_cache.clear()
        self.responses.clear()


def current() -> AppState:
    """The state of the app serving this request."""
    state: AppState = flask.current_app.extensions[EXTENSION]
    return state
