"""Login, roles and the request guard (Flask test client: no browser needed)."""

from __future__ import annotations

import pytest
from dashsite import save_request_body, write_users
from logins import login, post_login

from servicelevel.dashboard.app import create_app
from servicelevel.dashboard.auth import safe_next
from servicelevel.dashboard.targets_edit import text_hash


@pytest.fixture
def app(site):
    users = write_users(site.root / "users.toml")
    return create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)


def save_body(client, site, minimum: float, headers: dict | None = None) -> dict:
    deps = client.get("/_dash-dependencies", headers=headers or {}).get_json()
    return save_request_body(
        deps,
        {
            "targets-save.n_clicks": 1,
            "targets-edit-id.value": "answer-20s",
            "targets-edit-name.value": "Answered within 20 s",
            "targets-edit-minimum.value": minimum,
            "targets-edit-ideal.value": 90,
            "targets-edit-min-volume.value": 5,
            "targets-edit-from.date": "2026-03-10",
            "targets-edit-hash.data": text_hash(site.targets_path.read_text()),
        },
    )


def test_every_page_and_callback_needs_a_login(app):
    client = app.server.test_client()
    page = client.get("/live")
    assert page.status_code == 302 and page.location.startswith("/login?next=/live")
    assert client.get("/_dash-layout").status_code == 401
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.get("/login").status_code == 200
    with client.get("/assets/servicelevel.css") as css:  # a file response: close it
        assert css.status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app):
    client = app.server.test_client()
    for name in ("alice", "nobody"):
        response = post_login(client, name, "wrong")
        assert response.status_code == 401
        assert b"Unknown user name or wrong password" in response.data


def test_a_viewer_cannot_save_a_target_even_by_posting_the_callback(app, site):
    client = app.server.test_client()
    login(client, "victor")
    assert client.get("/_dash-layout").status_code == 200
    before = site.targets_path.read_text()
    response = client.post("/_dash-update-component", json=save_body(client, site, 85))
    assert response.status_code == 403
    assert site.targets_path.read_text() == before


def test_an_editor_can_save_through_the_same_callback(app, site):
    client = app.server.test_client()
    login(client, "alice")
    response = client.post("/_dash-update-component", json=save_body(client, site, 85))
    assert response.status_code == 200, response.data
    assert "minimum = 85     # %" in site.targets_path.read_text()
    assert b"Saved answer-20s" in response.data


def test_a_trusted_proxy_header_signs_in_with_the_role_from_the_users_file(site, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_TRUSTED_PROXIES", "127.0.0.1")  # the test client's address
    users = write_users(site.root / "users.toml")
    app = create_app(
        site.engine,
        site.targets_path,
        users_path=users,
        trusted_header="X-Forwarded-User",
        clock=site.clock,
    )
    client = app.server.test_client()
    assert (
        client.get("/_dash-layout", headers={"X-Forwarded-User": "sso-person"}).status_code == 200
    )
    body = save_body(client, site, 85, {"X-Forwarded-User": "alice"})
    refused = client.post(
        "/_dash-update-component", json=body, headers={"X-Forwarded-User": "sso-person"}
    )
    assert refused.status_code == 403  # unknown to the users file: a viewer
    allowed = client.post(
        "/_dash-update-component", json=body, headers={"X-Forwarded-User": "alice"}
    )
    assert allowed.status_code == 200


def test_without_the_header_setting_a_forged_header_means_nothing(app):
    client = app.server.test_client()
    response = client.get("/_dash-layout", headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 401


def test_the_demo_needs_no_login_but_answers_only_this_computer(site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    client = app.server.test_client()
    assert client.get("/_dash-layout").status_code == 200
    remote = client.get("/_dash-layout", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 403


def test_login_only_sends_people_to_local_pages():
    assert safe_next("/trends?period=7d") == "/trends?period=7d"
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", None):
        assert safe_next(bad) == "/"


def test_debug_is_off_by_default(app):
    assert app.server.debug is False
