"""``create_app``: the Dash multi-page dashboard over one store and one targets file.

Secure defaults: login required (users file, or a trusted proxy header), debug off (the CLI binds
127.0.0.1 unless told otherwise), no CDN (Bootstrap CSS and every script are served from the
package, so a wallboard on a closed network works). The demo (``demo_note=True``) has no login, so
it answers loopback clients only and says so in a banner.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import dash
import dash._callback as dash_callbacks
import flask
from dash import Input, Output, dcc, html
from sqlalchemy import Engine

from servicelevel.config import TargetsWatcher

from . import auth, data
from .components import charts  # noqa: F401  (registers the Plotly theme)
from .components.shell import banner, navbar
from .response_cache import cache_key
from .state import EXTENSION, AppState, current

HERE = Path(__file__).resolve().parent
PACKAGE = "servicelevel.dashboard"


def _refresh_ms(state: AppState) -> int:
    targets, _ = state.targets()
    return int(state.refresh_seconds(targets) * 1000)


def _operation_name() -> str:
    targets, _ = current().targets()
    return targets.operation.name if targets else "servicelevel"


def _notices(state: AppState) -> list[data.Notice]:
    targets, errors = state.targets()
    key = (state.tick(targets), id(targets), tuple(str(e) for e in errors))
    return state.banner_cache.get(
        key, lambda: data.notices(state.engine, targets, errors, state.now(), demo=state.demo)
    )


def _user_text() -> tuple[str, bool]:
    user = auth.current_user()
    if user is None:
        return "", False
    if user.how == "demo":
        return "Demo (no login)", False
    return f"{user.name} ({user.role})", user.how == "password"


def shell_layout() -> html.Div:
    state = current()
    kiosk = flask.has_request_context() and flask.request.args.get("kiosk") == "1"
    user_text, can_logout = _user_text()
    return html.Div(
        [
            dcc.Location(id="shell-url"),
            html.Div(
                navbar(_operation_name(), user_text, can_logout),
                id="shell-nav-wrap",
                hidden=kiosk,
            ),
            html.Main(
                [
                    html.Div(
                        banner(_notices(state)),
                        id="shell-banner",
                        role="status",
                        # Dash's hints type **kwargs as its own props; aria-* attributes pass.
                        **{"aria-live": "polite"},  # type: ignore[arg-type]
                    ),
                    dash.page_container,
                ],
                className="container-fluid",
                id="shell-main",
            ),
            dcc.Interval(id="shell-tick", interval=_refresh_ms(state)),
        ],
        id="shell",
        className="sl-kiosk" if kiosk else "",
    )


def _register_shell_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("shell-banner", "children"),
        Input("shell-tick", "n_intervals"),
        prevent_initial_call=True,
    )
    def refresh_banner(_n: int) -> Any:
        return banner(_notices(current()))

    @app.callback(
        Output("shell", "className"),
        Output("shell-nav-wrap", "hidden"),
        Input("shell-url", "search"),
    )
    def kiosk_mode(search: str | None) -> tuple[str, bool]:
        kiosk = "kiosk=1" in (search or "")
        return ("sl-kiosk" if kiosk else ""), kiosk


def create_app(
    engine: Engine,
    targets_path: str | Path,
    demo_note: bool = False,
    *,
    users_path: str | Path | None = None,
    trusted_header: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> dash.Dash:
    """The dashboard app. ``serve`` passes the store and targets file; ``demo`` sets
    ``demo_note``. Users come from ``users_path`` (default ``$SERVICELEVEL_USERS``, else
    ``users.toml`` in the working directory); ``trusted_header`` (default
    ``$SERVICELEVEL_TRUSTED_USER_HEADER``) names a reverse proxy's user header to trust.
    ``clock`` is for tests."""
    targets_path = Path(targets_path)
    state = AppState(
        engine=engine,
        targets_path=targets_path,
        watcher=TargetsWatcher(targets_path),
        demo=demo_note,
        clock=clock or data.utc_now,
    )
    server = flask.Flask(PACKAGE)
    server.extensions[EXTENSION] = state
    users = users_path or os.environ.get(auth.USERS_ENV) or "users.toml"
    header = trusted_header or os.environ.get(auth.HEADER_ENV) or None
    auth.install(server, auth.AuthConfig(Path(users), header, demo_note), _operation_name)

    @server.before_request
    def _home() -> Any:
        if flask.request.path == "/":
            query = flask.request.query_string.decode()
            return flask.redirect("/live" + (f"?{query}" if query else ""))
        return None

    # Dash re-runs the page modules for each app, and their @callback registrations wait in
    # module globals until the app's first request. Callbacks left there by an app that never
    # served (a test, the screenshot script) would be registered twice in this one.
    dash_callbacks.GLOBAL_CALLBACK_LIST.clear()
    dash_callbacks.GLOBAL_CALLBACK_MAP.clear()
    app = dash.Dash(
        PACKAGE,
        server=server,  # type: ignore[arg-type]  # a Flask app; Dash's hint only names bool
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="servicelevel",
        update_title=None,  # type: ignore[arg-type]  # None: keep the title while updating
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    app.layout = shell_layout
    _register_shell_callbacks(app)
    _share_rendered_responses(app, state)
    return app


def _share_rendered_responses(app: dash.Dash, state: AppState) -> None:
    """Route read-only callbacks through the per-tick response cache (``response_cache``).

    The wrapper sits behind the login guard (a ``before_request`` hook), so only users allowed
    to see a response can get the shared copy; the role is part of the key all the same.
    """
    endpoint = app.config.routes_pathname_prefix + "_dash-update-component"
    dispatch = app.server.view_functions[endpoint]

    def shared_dispatch() -> Any:
        user = auth.current_user()
        key = cache_key(flask.request.get_data(), user.role if user else "")
        if key is None:
            return dispatch()
        targets, errors = state.targets()
        tick = state.tick(targets)
        # A reloaded targets file is a new object: nothing rendered for the old one is served.
        version = (id(targets), tuple(str(e) for e in errors))
        return state.responses.serve(
            (key, version), tick, dispatch, flask.copy_current_request_context
        )

    app.server.view_functions[endpoint] = shared_dispatch
