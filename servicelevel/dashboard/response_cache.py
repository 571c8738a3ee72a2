"""Rendered callback responses, shared by every screen within a refresh tick.

Why at the HTTP layer: a Live refresh costs three things, evaluating the windows, building the
Dash components and serialising them to JSON (about a megabyte for two hundred tiles). The
per-tick ``TickCache`` shares only the first; with fifty wallboards the other two were paid fifty
times per tick. Here the bytes of a read-only callback's response are kept per (tick, role,
request body), so a tick costs one render whatever the number of screens.

Why stale-while-revalidate (RFC 5861's idea): when a new tick starts, the first screen to ask
would otherwise wait for the whole render. Instead, a response at most ``max_stale_ticks`` old
is served at once and the render for the new tick runs in a background thread; the next
request gets it. A wallboard that polls every tick therefore always answers from memory, and
what it shows is at most one render behind (the Live page prints the time its figures were
computed). With no usable response (the first request for a body, or one too old), the request
renders itself, and concurrent requests for the same body wait for that one render instead of
starting their own.

Why gzip here: a Live body of two hundred tiles is about a megabyte of JSON, sent to every
screen every tick. It is compressed once per render (about 15x smaller) and sent compressed to
every client that accepts it, as every browser does.

Only callbacks named in ``CACHEABLE`` (pure reads of the store) are cached; the targets editor
and everything else always run. Entries are evicted least-recently used beyond ``max_bytes``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import flask

from servicelevel.store.runs import failure_traceback

# The first output id of each read-only callback whose response may be shared.
CACHEABLE = frozenset(
    {"live-body", "shell-banner", "trends-graph", "breaches-timeline", "queue-summary"}
)
log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 48 * 1024 * 1024
DEFAULT_MAX_STALE_TICKS = 2


@dataclass(slots=True)
class Rendered:
    """One kept response: the bytes as Dash sent them, and the tick they were rendered for."""

    tick: int
    status: int
    body: bytes
    gzipped: bytes
    mimetype: str
    render_ms: float

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)


@dataclass
class CacheStats:
    """Counters the benchmark and tests read (renders are the expensive events)."""

    hits: int = 0
    stale_hits: int = 0
    renders: int = 0
    background_renders: int = 0
    render_ms: list[float] = field(default_factory=list)


def cache_key(body: bytes, role: str) -> Hashable | None:
    """(role, digest of the request) for a cacheable callback; None for any other request."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    output = payload.get("output") if isinstance(payload, dict) else None
    if not isinstance(output, str):
        return None
    first = output.lstrip(".").split(".", 1)[0]
    if first not in CACHEABLE:
        return None
    return role, hashlib.blake2b(body, digest_size=16).digest()


class ResponseCache:
    """Thread-safe store of rendered responses with single-flight renders."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_stale_ticks: int = DEFAULT_MAX_STALE_TICKS,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_stale_ticks = max_stale_ticks
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._size = 0
        self._rendering: dict[Hashable, threading.Event] = {}

    def clear(self) -> None:
        """Forget everything (after a targets edit: no screen may see the old definition)."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def serve(
        self,
        key: Hashable,
        tick: int,
        render: Callable[[], flask.Response],
        in_background: Callable[[Callable[[], flask.Response]], Callable[[], flask.Response]],
    ) -> flask.Response:
        """The response for ``key`` at ``tick``: kept, stale-and-refreshing, or rendered now.

        ``in_background`` wraps ``render`` so it can run after this request has ended (the
        caller passes ``flask.copy_current_request_context``).
        """
        accepts_gzip = "gzip" in flask.request.headers.get("Accept-Encoding", "")
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                if entry is not None and entry.tick >= tick:
                    self.stats.hits += 1
                    return _response(entry, accepts_gzip)
                waiting = self._rendering.get(key)
                usable = entry is not None and tick - entry.tick <= self.max_stale_ticks
                if usable:
                    self.stats.stale_hits += 1
                    if waiting is None:
                        self._start(key, tick, in_background(render))
                    assert entry is not None
                    return _response(entry, accepts_gzip)
                if waiting is None:
                    done = self._rendering[key] = threading.Event()
                    break
            waiting.wait()  # someone else renders this body: share it, then look again
        try:
            response, kept = self._render(key, tick, render)
            # Not kept (an error, or no update): answered as Dash made it.
            return response if kept is None else _response(kept, accepts_gzip)
        finally:
            with self._lock:
                self._rendering.pop(key, None)
            done.set()

    def _start(self, key: Hashable, tick: int, render: Callable[[], flask.Response]) -> None:
        """Begin a background render (the lock is held by the caller)."""
        done = self._rendering[key] = threading.Event()
        self.stats.background_renders += 1

        def run() -> None:
            try:
                self._render(key, tick, render)
            except Exception as exc:  # the stale response stays; the next request tries again
                log.error(
                    "background render of a dashboard callback failed\n%s",
                    failure_traceback(exc),
                )
            finally:
                with self._lock:
                    self._rendering.pop(key, None)
                done.set()

        threading.Thread(target=run, name="servicelevel-render", daemon=True).start()

    def _render(
        self, key: Hashable, tick: int, render: Callable[[], flask.Response]
    ) -> tuple[flask.Response, Rendered | None]:
        """Render, and keep the response if it is a plain success; returns what was kept."""
        began = time.perf_counter()
        response = render()
        if not isinstance(response, flask.Response) or response.status_code != 200:
            return response, None
        body = response.get_data()
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        took = (time.perf_counter() - began) * 1000
        entry = Rendered(tick, 200, body, gzipped, response.mimetype or "", took)
        with self._lock:
            self.stats.renders += 1
            self.stats.render_ms.append(took)
            del self.stats.render_ms[:-1000]
            old = self._entries.pop(key, None)
            kept = entry if old is None or old.tick <= tick else old  # never go back in time
            if old is not None:
                self._size -= old.size
            self._entries[key] = kept
            self._size += kept.size
            while self._size > self.max_bytes and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                self._size -= evicted.size
        return response, entry


def _response(entry: Rendered, accepts_gzip: bool) -> flask.Response:
    if not accepts_gzip:
        return flask.Response(entry.body, status=entry.status, mimetype=entry.mimetype)
    response = flask.Response(entry.gzipped, status=entry.status, mimetype=entry.mimetype)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response
