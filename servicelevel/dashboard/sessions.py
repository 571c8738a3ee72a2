"""Sessions that signing out and a password change revoke, and the login form's CSRF token.

Flask's session is a signed cookie and the server keeps nothing, so a copied cookie would stay
good until the secret key changes, signed out or not. Each password session therefore carries
two stamps, checked by the user loader on every request:

* the user's **session epoch**, a random nonce kept in the store's ``store_meta`` table (key
  ``session-epoch:`` + a hash of the name). Signing out replaces it: every copy of every cookie
  of that user, in every browser, stops working at once, in every server process that shares the
  database. (Signing out therefore signs the user out everywhere.)
* a keyed **fingerprint of the password hash**: ``add-user`` with a new password changes the
  hash, so sessions made with the old password end, with nothing stored.

Epochs are cached per process for ``ttl_s`` seconds, so a busy page costs one primary-key read
per user per few seconds, not one per callback; this process's own sign-outs drop the cache at
once, another process's are seen within ``ttl_s``. Without a database (``engine=None``) the
epochs live in memory: right for one process only.

The CSRF token is a random value kept in the (signed) session and echoed by the login form; a
POST without it cannot come from our form, so another site cannot sign a browser in as someone
else (login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicelevel.store.schema import Meta

EPOCH_KEY = "sl_epoch"
PASSWORD_KEY = "sl_pw"
CSRF_KEY = "sl_csrf"
CSRF_FIELD = "csrf_token"
EPOCH_TTL_S = 2.0


def _meta_key(name: str) -> str:
    # store_meta keys are at most 80 characters; any user name fits once hashed.
    return "session-epoch:" + hashlib.sha256(name.encode()).hexdigest()[:40]


class SessionEpochs:
    """The current session epoch of each user, in the database when there is one."""

    def __init__(
        self,
        engine: Engine | None,
        *,
        ttl_s: float = EPOCH_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine, self.ttl_s, self.clock = engine, ttl_s, clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    def current(self, name: str) -> str:
        """The user's epoch, made on first use (a sign-in) if there is none yet."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None and now - cached[1] < self.ttl_s:
                return cached[0]
        epoch = self._read_or_create(name)
        with self._lock:
            self._cache[name] = (epoch, now)
            if len(self._cache) > 10_000:  # bounded: one entry per signed-in name
                self._cache.clear()
        return epoch

    def rotate(self, name: str) -> None:
        """A new epoch: every session made before it is no longer valid."""
        epoch = secrets.token_hex(16)
        with self._lock:
            self._cache.pop(name, None)
            if self.engine is None:
                self._memory[name] = epoch
                return
        key = _meta_key(name)
        with Session(self.engine) as session, session.begin():
            changed = session.execute(
                update(Meta).where(Meta.key == key).values(value=epoch)
            ).rowcount  # type: ignore[attr-defined]
        if not changed:
            self._insert(key, epoch)

    def _read_or_create(self, name: str) -> str:
        if self.engine is None:
            with self._lock:
                return self._memory.setdefault(name, secrets.token_hex(16))
        key = _meta_key(name)
        with Session(self.engine) as session:
            found = session.execute(select(Meta.value).where(Meta.key == key)).scalar()
        if found is not None:
            return str(found)
        return self._insert(key, secrets.token_hex(16))

    def _insert(self, key: str, epoch: str) -> str:
        """Insert ``epoch``, or return the one another thread or process inserted first."""
        try:
            with Session(self.engine) as session, session.begin():
                session.add(Meta(key=key, value=epoch))
            return epoch
        except IntegrityError:
            with Session(self.engine) as session:
                return str(session.execute(select(Meta.value).where(Meta.key == key)).scalar())


def password_fingerprint(secret: str | bytes, password_hash: str) -> str:
    """Changes when the password does; keyed, so the cookie tells nothing about the hash."""
    key = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def stamp(session: MutableMapping[str, Any], epoch: str, fingerprint: str) -> None:
    session[EPOCH_KEY], session[PASSWORD_KEY] = epoch, fingerprint


def stamped(session: MutableMapping[str, Any], epoch: str, fingerprint: str) -> bool:
    """Whether ``session`` was made in the current epoch with the current password."""
    have_epoch, have_print = session.get(EPOCH_KEY), session.get(PASSWORD_KEY)
    return (
        isinstance(have_epoch, str)
        and isinstance(have_print, str)
        and hmac.compare_digest(have_epoch, epoch)
        and hmac.compare_digest(have_print, fingerprint)
    )


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token for the login form, made on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], sent: str | None) -> bool:
    expected = session.get(CSRF_KEY)
    return (
        isinstance(expected, str)
        and bool(expected)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )
