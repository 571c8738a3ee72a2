"""Who may see and who may change: login, roles, and the guard in front of every request.

Roles: ``viewer`` sees every page; ``editor`` may also change targets and record a customer-focus
self-assessment. Users live in a TOML file (``users.toml``) with werkzeug password hashes, never
plain passwords::

    [[user]]
    name = "alice"
    role = "editor"
    password_hash = "scrypt:32768:8:1$..."

Add one with ``python -m servicelevel.dashboard.auth add-user users.toml alice --role editor``.

Three ways in, checked by :func:`guard` before Dash sees the request:

* a session made on ``/login`` (flask-login);
* a user name in a header set by a trusted reverse proxy (single sign-on), only when
  ``trusted_header`` is configured and the request comes from an address in
  ``$SERVICELEVEL_TRUSTED_PROXIES`` (``proxies``); the role comes from the users file, else
  ``viewer``;
* the demo (``demo=True``): no login, everyone may edit, and only loopback clients are answered.

The login is hardened against guessing (``throttle``: exponential back-off per user name and per
client address, HTTP 429), against login CSRF (a session-bound token in the form), and sessions
can be revoked (``sessions``: signing out or changing the password ends every copy of the
cookie). ``$SERVICELEVEL_COOKIE_SECURE=1`` marks the cookies ``Secure`` (behind HTTPS).

Why a guard and not only hidden buttons: Dash callbacks are plain POSTs to
``/_dash-update-component``, so a viewer could send the save request by hand. The guard reads the
callback's outputs and refuses editor-only ones (``EDITOR_OUTPUTS``) to anyone but an editor;
the callback checks the role again itself.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import math
import os
import secrets
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import flask
import flask_login
from werkzeug.security import check_password_hash, generate_password_hash

from . import proxies, sessions
from .state import EXTENSION
from .throttle import LoginThrottle

log = logging.getLogger(__name__)

ROLES = ("viewer", "editor")
USERS_ENV = "SERVICELEVEL_USERS"
SECRET_ENV = "SERVICELEVEL_SECRET_KEY"
HEADER_ENV = "SERVICELEVEL_TRUSTED_USER_HEADER"
COOKIE_SECURE_ENV = "SERVICELEVEL_COOKIE_SECURE"
# Where install() keeps the login's throttle and session epochs (tests reach them there).
THROTTLE_EXTENSION = "servicelevel.login_throttle"
EPOCHS_EXTENSION = "servicelevel.session_epochs"
# Outputs of callbacks that change something; only editors may trigger them.
EDITOR_OUTPUTS = ("targets-save-result", "assessment-save-result")
# Static files needed to draw the login page; they hold no data.
PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/_favicon.ico")
# Checked against a hash when the user is unknown, so a wrong name takes as long as a wrong
# password and does not reveal which names exist.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


@dataclass(frozen=True)
class User(flask_login.UserMixin):  # type: ignore[misc]
    name: str
    role: str
    how: str = "password"  # password | proxy | demo

    def get_id(self) -> str:
        return self.name

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password_hash: str


class UsersFileError(ValueError):
    pass


def load_users(path: Path | None) -> dict[str, Account]:
    """Accounts from the users file; a missing file means no accounts (nobody can log in)."""
    if path is None or not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"{path.name}: {exc}") from None
    accounts: dict[str, Account] = {}
    for i, entry in enumerate(data.get("user", []), 1):
        name, role = entry.get("name"), entry.get("role", "viewer")
        password_hash = entry.get("password_hash", "")
        if not isinstance(name, str) or not name:
            raise UsersFileError(f"{path.name}: user[{i}].name: expected a non-empty name")
        if role not in ROLES:
            raise UsersFileError(
                f"{path.name}: user[{i}].role: expected one of {', '.join(ROLES)}, got {role!r}"
            )
        accounts[name] = Account(name, role, str(password_hash))
    return accounts


def add_user(path: Path, name: str, password: str, role: str) -> None:
    """Append (or replace) a user in the users file, keeping its other lines."""
    import tomlkit

    if role not in ROLES:
        raise UsersFileError(f"role must be one of {', '.join(ROLES)}")
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else None
    if document is None:
        document = tomlkit.document()
        document.add(tomlkit.comment("Dashboard users; passwords are stored as hashes only."))
    users = document.setdefault("user", tomlkit.aot())
    for entry in list(users):
        if entry.get("name") == name:
            users.remove(entry)
    entry = tomlkit.table()
    entry.update({"name": name, "role": role, "password_hash": generate_password_hash(password)})
    users.append(entry)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    path.chmod(0o600)


@dataclass
class AuthConfig:
    users_path: Path | None
    trusted_header: str | None
    demo: bool
    # Peers whose trusted_header and X-Forwarded-For are believed (None: read
    # $SERVICELEVEL_TRUSTED_PROXIES).
    trusted_proxies: tuple[proxies.Network, ...] | None = None

    def __post_init__(self) -> None:
        if self.trusted_proxies is None:
            self.trusted_proxies = proxies.parse_proxies(os.environ.get(proxies.PROXIES_ENV))

    @property
    def proxy_networks(self) -> tuple[proxies.Network, ...]:
        return self.trusted_proxies or ()

    def users(self) -> dict[str, Account]:
        return load_users(self.users_path)


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def current_user() -> User | None:
    user = flask_login.current_user
    return user if isinstance(user, User) else None


def safe_next(target: str | None) -> str:
    """Only local paths: ``/login?next=https://evil`` must not send anyone away."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _callback_outputs(request: flask.Request) -> str:
    body = request.get_json(silent=True) or {}
    output = body.get("output", "") if isinstance(body, dict) else ""
    outputs = body.get("outputs") if isinstance(body, dict) else None
    return f"{output} {outputs!r}"


def guard(config: AuthConfig) -> Any:
    """``before_request``: authenticate, then refuse what the user's role may not do."""
    request = flask.request
    if config.demo:
        if not _is_loopback(request.remote_addr):
            flask.abort(403)
        flask_login.login_user(User("demo", "editor", "demo"))
    elif (
        config.trusted_header
        and request.headers.get(config.trusted_header)
        and proxies.is_trusted(request.remote_addr, config.proxy_networks)
    ):
        name = request.headers[config.trusted_header].strip()
        account = config.users().get(name)
        flask_login.login_user(User(name, account.role if account else "viewer", "proxy"))
    path = request.path
    if path.startswith(PUBLIC_PREFIXES):
        return None
    user = current_user()
    if user is None:
        if path.startswith("/_dash-") or path.startswith("/_reload-hash"):
            return flask.jsonify(error="login required"), 401
        # Encoded: the path's own query must stay inside ``next``, not become /login's.
        return flask.redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/"))
    if path == "/_dash-update-component" and not user.can_edit:
        outputs = _callback_outputs(request)
        if any(name in outputs for name in EDITOR_OUTPUTS):
            return flask.jsonify(error="only editors may save changes"), 403
    return None


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - servicelevel</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"></head>
<body class="bg-light">
<main class="container" style="max-width: 28rem; margin-top: 10vh">
  <h1 class="h3 mb-3">{{ operation }}</h1>
  <p class="text-body-secondary">Sign in to see the service-level dashboard.</p>
  {% if error %}<div class="alert alert-danger" role="alert">{{ error }}</div>{% endif %}
  {% if no_users %}<div class="alert alert-warning" role="alert">No users are configured.
  Create one with <code>python -m servicelevel.dashboard.auth add-user users.toml NAME
  --role editor</code> and point <code>SERVICELEVEL_USERS</code> at the file.</div>{% endif %}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="{{ next }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <div class="mb-3"><label class="form-label" for="login-name">User name</label>
      <input class="form-control" id="login-name" name="name" autocomplete="username"
             required autofocus></div>
    <div class="mb-3"><label class="form-label" for="login-password">Password</label>
      <input class="form-control" id="login-password" name="password" type="password"
             autocomplete="current-password" required></div>
    <button class="btn btn-primary" type="submit" id="login-submit">Sign in</button>
  </form>
</main></body></html>
"""


def secret_key() -> str:
    """``$SERVICELEVEL_SECRET_KEY``, else the file named by ``$SERVICELEVEL_SECRET_KEY_FILE``,
    else a random key: sessions then end when the process restarts."""
    if value := os.environ.get(SECRET_ENV):
        return value
    if path := os.environ.get(f"{SECRET_ENV}_FILE"):
        return Path(path).read_text(encoding="utf-8").strip()
    return secrets.token_hex(32)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def install(server: flask.Flask, config: AuthConfig, operation_name: Any) -> None:
    """Wire flask-login, the guard and the /login and /logout routes into ``server``."""
    server.secret_key = secret_key()
    secure = _flag(COOKIE_SECURE_ENV)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
    )
    if config.trusted_header and not config.proxy_networks:
        log.warning(
            "%s is set but %s is not: the %s header is ignored from every client",
            HEADER_ENV,
            proxies.PROXIES_ENV,
            config.trusted_header,
        )
    state = server.extensions.get(EXTENSION)
    epochs = sessions.SessionEpochs(getattr(state, "engine", None))
    throttle = LoginThrottle()
    server.extensions[EPOCHS_EXTENSION] = epochs
    server.extensions[THROTTLE_EXTENSION] = throttle
    manager = flask_login.LoginManager()
    manager.init_app(server)

    def fingerprint(account: Account) -> str:
        return sessions.password_fingerprint(server.secret_key or "", account.password_hash)

    @manager.user_loader
    def _load(name: str) -> User | None:
        account = config.users().get(name)
        if account is None or not account.password_hash:
            return None
        if not sessions.stamped(flask.session, epochs.current(name), fingerprint(account)):
            return None  # signed out, password changed, or not a password session
        return User(account.name, account.role)

    server.before_request(lambda: guard(config))

    def render(error: str | None = None, status: int = 200) -> Any:
        page = flask.render_template_string(
            LOGIN_PAGE,
            operation=operation_name(),
            error=error,
            next=safe_next(flask.request.values.get("next")),
            no_users=not config.users(),
            csrf_token=sessions.csrf_token(flask.session),
        )
        return page, status

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        request = flask.request
        if request.method == "GET":
            return render()
        if not sessions.csrf_valid(flask.session, request.form.get(sessions.CSRF_FIELD)):
            return render("The sign-in form had expired. Please sign in again.", 400)
        name = request.form.get("name", "").strip()
        peer = proxies.client_address(
            request.remote_addr, request.headers.get("X-Forwarded-For"), config.proxy_networks
        )
        keys = [("user", name.casefold()[:200]), ("address", peer)]
        wait = throttle.retry_after(keys)
        if wait > 0:
            seconds = math.ceil(wait)
            page, status = render(f"Too many failed sign-ins. Try again in {seconds} s.", 429)
            return page, status, {"Retry-After": str(seconds)}
        password = request.form.get("password", "")
        account = config.users().get(name)
        valid = check_password_hash(account.password_hash if account else _DUMMY_HASH, password)
        if account is None or not valid or not account.password_hash:
            throttle.failed(keys)
            return render("Unknown user name or wrong password.", 401)
        throttle.succeeded(keys)
        target = safe_next(request.form.get("next"))
        flask.session.clear()  # nothing from before the sign-in (e.g. a planted value) survives
        flask_login.login_user(User(account.name, account.role))
        sessions.stamp(flask.session, epochs.current(account.name), fingerprint(account))
        return flask.redirect(target)

    @server.route("/logout")
    def logout() -> Any:
        user = current_user()
        if user is not None and user.how == "password":
            epochs.rotate(user.name)  # every copy of this user's cookies, everywhere
        flask_login.logout_user()
        flask.session.clear()
        return flask.redirect("/login")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicelevel.dashboard.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-user", help="add or replace a dashboard user")
    add.add_argument("path", type=Path)
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer")
    args = parser.parse_args(argv)
    password = os.environ.get("SERVICELEVEL_NEW_PASSWORD") or getpass.getpass("Password: ")
    if len(password) < 8:
        print("error: use a password of 8 characters or more", file=sys.stderr)
        return 2
    add_user(args.path, args.name, password, args.role)
    print(f"{args.path.name}: user {args.name} ({args.role}) saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
