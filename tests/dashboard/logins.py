"""Signing in through the real login form with Flask's test client (CSRF token included)."""

from __future__ import annotations

import re

from dashsite import PASSWORDS


def csrf_token(client) -> str:
    """The token the login form carries for this client's session."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_login(client, name: str, password: str, **environ: str):
    """POST the login form as the browser does: with the form's CSRF token."""
    data = {"name": name, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, environ_base=environ)


def login(client, name: str) -> None:
    response = post_login(client, name, PASSWORDS[name])
    assert response.status_code == 302, response.data
