"""Issue 11, finding 8: guessing is throttled, sign-out and a new password revoke every copy of
the cookie, cookies can be Secure, the login form has a CSRF token, and the single sign-on
header counts only from the configured proxies (Flask test client: no browser needed)."""

from __future__ import annotations

import logging
import threading

import pytest
from dashsite import PASSWORDS, write_users
from logins import csrf_token, login, post_login

from servicelevel.dashboard import auth
from servicelevel.dashboard.app import create_app
from servicelevel.dashboard.proxies import client_address, parse_proxies
from servicelevel.dashboard.throttle import LoginThrottle

HEADER = "X-Forwarded-User"


@pytest.fixture
def users(site):
    return write_users(site.root / "users.toml")


@pytest.fixture
def app(site, users):
    return create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frozen_throttle(app) -> FakeClock:
    clock = FakeClock()
    app.server.extensions[auth.THROTTLE_EXTENSION].clock = clock
    return clock


def signed_in(client, **environ) -> bool:
    status = client.get("/_dash-layout", environ_base=environ).status_code
    assert status in (200, 401)
    return status == 200


# --- throttling ----------------------------------------------------------------------------


def test_after_ten_wrong_passwords_even_the_right_one_gets_429_until_the_back_off_passes(app):
    clock = frozen_throttle(app)
    client = app.server.test_client()
    for _ in range(10):
        assert post_login(client, "alice", "wrong-guess").status_code == 401
    eleventh = post_login(client, "alice", "wrong-guess")
    assert eleventh.status_code == 429
    right = post_login(client, "alice", PASSWORDS["alice"])
    assert right.status_code == 429
    assert b"Too many failed sign-ins" in right.data
    wait = int(right.headers["Retry-After"])
    assert wait >= 1
    assert not signed_in(client)

    clock.now += wait - 0.5  # not quite yet
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 429
    clock.now += 1
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 302
    assert signed_in(client)
    # The success reset the count: one more mistake is an ordinary 401.
    assert post_login(app.server.test_client(), "alice", "typo").status_code == 401


def test_each_failure_past_the_limit_doubles_the_wait():
    clock = FakeClock()
    throttle = LoginThrottle(free=3, base_s=2, cap_s=60, clock=clock)
    key = [("user", "alice")]
    waits = []
    for _ in range(9):
        clock.now += throttle.retry_after(key)  # wait out any bar, then fail again
        throttle.failed(key)
        waits.append(throttle.retry_after(key))
    assert waits == [0, 0, 2, 4, 8, 16, 32, 60, 60]


def test_guessing_is_throttled_per_user_name_and_per_address(app):
    frozen_throttle(app)
    # One address trying many names: that address waits, others do not.
    attacker = app.server.test_client()
    for n in range(10):
        assert post_login(attacker, f"name-{n}", "x", REMOTE_ADDR="192.0.2.66").status_code == 401
    barred = post_login(attacker, "victor", PASSWORDS["victor"], REMOTE_ADDR="192.0.2.66")
    assert barred.status_code == 429
    # A forged X-Forwarded-For from a direct client changes nothing: no proxy is trusted.
    forged = app.server.test_client()
    forged_data = {"name": "victor", "password": "x", "csrf_token": csrf_token(forged)}
    response = forged.post(
        "/login",
        data=forged_data,
        headers={"X-Forwarded-For": "198.51.100.1"},
        environ_base={"REMOTE_ADDR": "192.0.2.66"},
    )
    assert response.status_code == 429
    elsewhere = post_login(app.server.test_client(), "victor", PASSWORDS["victor"])
    assert elsewhere.status_code == 302
    # One name tried from many addresses: that name waits, from any address.
    for n in range(10):
        client = app.server.test_client()
        assert post_login(client, "alice", "x", REMOTE_ADDR=f"198.51.100.{n}").status_code == 401
    fresh = app.server.test_client()
    assert (
        post_login(fresh, "alice", PASSWORDS["alice"], REMOTE_ADDR="203.0.113.5").status_code == 429
    )


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_throttled(site, users, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_TRUSTED_PROXIES", "127.0.0.1")
    app = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    frozen_throttle(app)

    def attempt(name: str, password: str, client_ip: str) -> int:
        client = app.server.test_client()
        data = {"name": name, "password": password, "csrf_token": csrf_token(client)}
        headers = {"X-Forwarded-For": f"10.9.9.9, {client_ip}"}  # the left hop proves nothing
        return client.post("/login", data=data, headers=headers).status_code

    for n in range(10):
        assert attempt(f"name-{n}", "x", "192.0.2.66") == 401
    assert attempt("victor", PASSWORDS["victor"], "192.0.2.66") == 429
    assert (
        attempt("victor", PASSWORDS["victor"], "192.0.2.67") == 302
    )  # a colleague behind the same proxy


def test_the_throttle_is_bounded_and_counts_every_failure_under_threads():
    throttle = LoginThrottle(max_keys=100)
    for n in range(1000):
        throttle.failed([("address", f"10.0.{n // 256}.{n % 256}")])
    assert len(throttle) == 100

    counted = LoginThrottle(free=4000)
    barrier = threading.Barrier(8)

    def fail_500() -> None:
        barrier.wait()
        for _ in range(500):
            counted.failed([("user", "alice")])

    threads = [threading.Thread(target=fail_500) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert counted.retry_after([("user", "alice")]) > 0  # exactly the 4000th failure bars


def test_client_address_believes_forwarded_for_only_from_a_proxy():
    proxies = parse_proxies("10.0.0.0/8, 127.0.0.1")
    assert client_address("192.0.2.1", "198.51.100.7", proxies) == "192.0.2.1"
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", proxies) == (
        "198.51.100.7"
    )
    assert client_address("::ffff:127.0.0.1", "198.51.100.7", proxies) == "198.51.100.7"
    with pytest.raises(ValueError, match="SERVICELEVEL_TRUSTED_PROXIES: 'not-an-ip'"):
        parse_proxies("127.0.0.1, not-an-ip")


# --- revocation ----------------------------------------------------------------------------


def copy_session(source, target) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_a_cookie_copied_before_logout_is_refused_after_it(app):
    owner, thief = app.server.test_client(), app.server.test_client()
    login(owner, "alice")
    copy_session(owner, thief)
    assert signed_in(thief)  # a copied cookie works while the session lasts
    assert owner.get("/logout").status_code == 302
    assert not signed_in(thief)
    assert not signed_in(owner)
    login(owner, "alice")  # a new sign-in makes a new, valid session
    assert signed_in(owner)
    assert not signed_in(thief)


def test_a_password_change_ends_the_sessions_made_with_the_old_one(app, users):
    client = app.server.test_client()
    login(client, "alice")
    assert signed_in(client)
    auth.add_user(users, "alice", "a-brand-new-password", "editor")
    assert not signed_in(client)
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 401
    assert post_login(client, "alice", "a-brand-new-password").status_code == 302
    assert signed_in(client)


def test_two_server_processes_sharing_the_database_share_the_sign_out(site, users, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_SECRET_KEY", "shared-by-both-processes")
    one = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    two = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    first, second = one.server.test_client(), two.server.test_client()
    login(first, "alice")
    assert signed_in(first)
    copy_session(first, second)
    assert signed_in(second)  # the epoch is in the database: the other process accepts it
    assert second.get("/logout").status_code == 302
    one.server.extensions[auth.EPOCHS_EXTENSION].ttl_s = 0  # past the per-process cache
    assert not signed_in(first)


def test_a_proxy_session_cookie_alone_signs_nobody_in(site, users, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_TRUSTED_PROXIES", "10.0.0.1")
    app = create_app(
        site.engine, site.targets_path, users_path=users, trusted_header=HEADER, clock=site.clock
    )
    client = app.server.test_client()
    via_proxy = client.get(
        "/_dash-layout", headers={HEADER: "alice"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert via_proxy.status_code == 200
    assert not signed_in(client)  # the same cookie, directly, without the proxy


# --- cookies and CSRF ----------------------------------------------------------------------


def session_cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_cookie_secure_sets_secure_on_the_session_and_remember_cookies(site, users, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_COOKIE_SECURE", "1")
    app = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    header = session_cookie_header(app.server.test_client().get("/login"))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert app.server.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.server.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_without_cookie_secure_the_cookie_is_still_httponly_and_lax(app):
    header = session_cookie_header(app.server.test_client().get("/login"))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header


def test_a_login_post_without_the_forms_csrf_token_is_400_with_a_fresh_form(app):
    client = app.server.test_client()
    password = PASSWORDS["alice"]
    missing = client.post("/login", data={"name": "alice", "password": password})
    assert missing.status_code == 400
    assert b'name="csrf_token" value="' in missing.data and b'id="login-submit"' in missing.data
    wrong = client.post("/login", data={"name": "alice", "password": password, "csrf_token": "x"})
    assert wrong.status_code == 400
    # A token of another session (e.g. an attacker's own) is no good either.
    other = csrf_token(app.server.test_client())
    borrowed = client.post(
        "/login", data={"name": "alice", "password": password, "csrf_token": other}
    )
    assert borrowed.status_code == 400
    assert not signed_in(client)
    assert post_login(client, "alice", password).status_code == 302


def test_the_login_redirect_keeps_the_pages_query_inside_next(app):
    client = app.server.test_client()
    page = client.get("/trends?period=7d&next=//evil.example")
    assert page.location == "/login?next=/trends%3Fperiod%3D7d%26next%3D//evil.example"
    form = client.get(page.location).get_data(as_text=True)
    assert 'name="next" value="/trends?period=7d&amp;next=//evil.example"' in form


# --- the single sign-on header -------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored_even_from_localhost(
    site, users, monkeypatch, caplog
):
    monkeypatch.delenv("SERVICELEVEL_TRUSTED_PROXIES", raising=False)
    with caplog.at_level(logging.WARNING, logger="servicelevel.dashboard.auth"):
        app = create_app(
            site.engine,
            site.targets_path,
            users_path=users,
            trusted_header=HEADER,
            clock=site.clock,
        )
    assert "SERVICELEVEL_TRUSTED_PROXIES is not" in caplog.text
    client = app.server.test_client()
    response = client.get("/_dash-layout", headers={HEADER: "alice"})  # from 127.0.0.1
    assert response.status_code == 401


def test_the_header_signs_in_only_from_a_configured_proxy(site, users, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    app = create_app(
        site.engine, site.targets_path, users_path=users, trusted_header=HEADER, clock=site.clock
    )

    def from_address(address: str) -> int:
        client = app.server.test_client()
        response = client.get(
            "/_dash-layout", headers={HEADER: "alice"}, environ_base={"REMOTE_ADDR": address}
        )
        return response.status_code

    assert from_address("10.20.30.40") == 200
    assert from_address("192.0.2.1") == 200
    assert from_address("127.0.0.1") == 401
    assert from_address("192.0.2.2") == 401
