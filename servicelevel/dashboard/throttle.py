"""Login throttling: after a run of failures, each further try waits an exponential back-off.

Without it, a password can be guessed as fast as the server answers (200 tries in 40 s were
measured). Failures are counted per key; the login counts two keys, the user name (whether or not
it exists, so the answer does not reveal which names do) and the client address:

* ``free`` consecutive failures of a key go at full speed (people mistype);
* the ``free``-th and each later failure bar the key for ``base_s * 2 ** (failures - free)``
  seconds, at most ``cap_s``; while either key is barred, every try is refused (HTTP 429 with
  ``Retry-After``) without looking at the password, so the right one is refused too;
  a refused try does not lengthen the back-off;
* a success clears both keys; a key quiet for ``forget_s`` is forgotten.

The per-user key stops a guesser that spreads its tries over many addresses; the per-address key
stops one that spreads them over many names. Clearing the address on success lets colleagues
behind one office NAT recover from each other's typos; an attacker with an account of their own
can clear their address that way, but not the per-user keys of the names they are guessing.

Memory is bounded: at most ``max_keys`` keys, the least recently failed dropped first. State is
per process (a lock makes it safe under waitress's threads); with N server processes a guesser
gets N times the tries, still exponentially few.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Key = tuple[str, str]


@dataclass(slots=True)
class _Failures:
    count: int
    last: float  # clock time of the last counted failure
    barred_until: float


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 10,
        base_s: float = 2.0,
        cap_s: float = 900.0,
        forget_s: float = 3600.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.cap_s = free, base_s, cap_s
        self.forget_s, self.max_keys = forget_s, max_keys
        self.clock = clock
        self._keys: OrderedDict[Key, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def _current(self, key: Key, now: float) -> _Failures | None:
        entry = self._keys.get(key)
        if entry is not None and now - entry.last > self.forget_s:
            del self._keys[key]
            return None
        return entry

    def retry_after(self, keys: Iterable[Key]) -> float:
        """Seconds until a try may be made for every one of ``keys`` (0: now)."""
        with self._lock:
            now = self.clock()
            waits = [
                entry.barred_until - now
                for key in keys
                if (entry := self._current(key, now)) is not None
            ]
        return max([0.0, *waits])

    def failed(self, keys: Iterable[Key]) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                entry = self._current(key, now) or _Failures(0, now, now)
                entry.count += 1
                entry.last = now
                if entry.count >= self.free:
                    backoff = self.base_s * 2.0 ** min(entry.count - self.free, 64)
                    entry.barred_until = now + min(self.cap_s, backoff)
                self._keys[key] = entry
                self._keys.move_to_end(key)
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)

    def succeeded(self, keys: Iterable[Key]) -> None:
        with self._lock:
            for key in keys:
                self._keys.pop(key, None)
