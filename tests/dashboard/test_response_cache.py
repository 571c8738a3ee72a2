"""The shared per-tick responses: one render per tick, stale-while-revalidate, never the editor.

The unit tests drive ``ResponseCache`` with a counting render in a bare Flask app; the others go
through the real app's ``/_dash-update-component`` on the test site (both databases).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from datetime import timedelta

import flask
import pytest
from dashsite import NOW

from servicelevel.dashboard.app import create_app
from servicelevel.dashboard.response_cache import ResponseCache, cache_key
from servicelevel.dashboard.state import EXTENSION

LIVE = {
    "output": "live-body.children",
    "outputs": {"id": "live-body", "property": "children"},
    "inputs": [{"id": "live-tick", "property": "n_intervals", "value": 1}],
    "changedPropIds": ["live-tick.n_intervals"],
    "state": [],
}


class Renders:
    """A render that counts its calls and answers with the count (so each render differs)."""

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        self.calls = 0
        self.delay = delay
        self.status = status
        self.lock = threading.Lock()

    def __call__(self) -> flask.Response:
        with self.lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return flask.Response(json.dumps({"n": n}), status=self.status, mimetype="application/json")


def _serve(app: flask.Flask, cache: ResponseCache, tick: int, render: Renders, **headers: str):
    with app.test_request_context("/_dash-update-component", method="POST", headers=headers):
        response = cache.serve("key", tick, render, flask.copy_current_request_context)
        return response.status_code, response.get_data(), response.headers.get("Content-Encoding")


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def bare() -> flask.Flask:
    return flask.Flask(__name__)


def test_one_render_per_tick_then_the_same_bytes(bare):
    cache, render = ResponseCache(), Renders()
    first = _serve(bare, cache, 100, render)
    again = _serve(bare, cache, 100, render)
    assert render.calls == 1 and first == again and json.loads(first[1]) == {"n": 1}
    assert (cache.stats.renders, cache.stats.hits) == (1, 1)


def test_a_new_tick_is_answered_at_once_and_rendered_behind(bare):
    cache, render = ResponseCache(max_stale_ticks=2), Renders(delay=0.2)
    _serve(bare, cache, 100, render)
    began = time.perf_counter()
    _status, body, _ = _serve(bare, cache, 101, render)
    assert time.perf_counter() - began < 0.15  # did not wait for the 0.2 s render
    assert json.loads(body) == {"n": 1}  # the previous tick's response
    _wait_for(lambda: cache.stats.renders == 2)
    assert json.loads(_serve(bare, cache, 101, render)[1]) == {"n": 2}
    assert cache.stats.background_renders == 1 and render.calls == 2


def test_a_response_too_old_is_never_served(bare):
    cache, render = ResponseCache(max_stale_ticks=2), Renders()
    _serve(bare, cache, 100, render)
    assert json.loads(_serve(bare, cache, 103, render)[1]) == {"n": 2}
    assert cache.stats.stale_hits == 0


def test_concurrent_first_requests_share_one_render(bare):
    cache, render = ResponseCache(), Renders(delay=0.3)
    bodies: list[bytes] = []

    def ask() -> None:
        bodies.append(_serve(bare, cache, 7, render)[1])

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert render.calls == 1 and len(bodies) == 12 and len(set(bodies)) == 1


def test_errors_are_answered_but_never_kept(bare):
    cache, render = ResponseCache(), Renders(status=500)
    assert _serve(bare, cache, 1, render)[0] == 500
    assert _serve(bare, cache, 1, render)[0] == 500
    assert render.calls == 2 and cache.stats.renders == 0


def test_gzip_for_clients_that_accept_it(bare):
    cache, render = ResponseCache(), Renders()
    plain = _serve(bare, cache, 1, render)
    zipped = _serve(bare, cache, 1, render, **{"Accept-Encoding": "gzip, deflate, br"})
    assert plain[2] is None and zipped[2] == "gzip"
    assert gzip.decompress(zipped[1]) == plain[1] and render.calls == 1


def test_least_recently_used_responses_go_first_beyond_the_memory_cap(bare):
    cache = ResponseCache(max_bytes=1)  # any second entry is over the cap
    with bare.test_request_context("/", method="POST"):
        for key in ("a", "b"):
            cache.serve(key, 1, Renders(), flask.copy_current_request_context)
    assert list(cache._entries) == ["b"]


def test_only_read_only_callbacks_are_shared():
    assert cache_key(json.dumps(LIVE).encode(), "viewer") is not None
    save = {**LIVE, "output": "..targets-save-result.children...targets-grid.rowData.."}
    assert cache_key(json.dumps(save).encode(), "editor") is None
    assert cache_key(b"not json", "viewer") is None
    viewer = cache_key(json.dumps(LIVE).encode(), "viewer")
    assert viewer != cache_key(json.dumps(LIVE).encode(), "editor")


# --------------------------------------------------------------------------------------------
# Through the real app
# --------------------------------------------------------------------------------------------


def _app(site, clock):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=clock)
    return app, app.server.extensions[EXTENSION]


def _live(client) -> dict:
    response = client.post("/_dash-update-component", json=LIVE)
    assert response.status_code == 200
    return response.get_json()


def _updated(answer: dict) -> str:
    """The 'Updated hh:mm:ss' text of a Live response."""
    text = json.dumps(answer)
    at = text.index("Updated ")
    return text[at : at + len("Updated 10:07:30")]


def test_live_renders_once_per_tick_for_every_screen(site):
    now = [NOW]
    app, state = _app(site, lambda: now[0])
    clients = [app.server.test_client() for _ in range(5)]
    answers = [_live(c) for c in clients]
    assert state.responses.stats.renders == 1
    assert all(a == answers[0] for a in answers)
    assert _updated(answers[0]) == "Updated 10:07:30"


def test_live_moves_on_one_tick_behind_and_never_more(site):
    now = [NOW]
    app, state = _app(site, lambda: now[0])
    client = app.server.test_client()
    _live(client)
    targets, _ = state.targets()
    assert targets.operation.refresh_seconds == 2  # the site's; the times below follow from it
    now[0] = NOW + timedelta(seconds=2)
    assert _updated(_live(client)) == "Updated 10:07:30"  # the previous tick, at once
    _wait_for(lambda: state.responses.stats.renders == 2)
    assert _updated(_live(client)) == "Updated 10:07:32"
    now[0] = NOW + timedelta(seconds=10)  # four ticks on: too old to show
    assert _updated(_live(client)) == "Updated 10:07:40"


def test_a_targets_edit_drops_every_shared_response(site):
    app, state = _app(site, lambda: NOW)
    client = app.server.test_client()
    _live(client)
    state.forget_history()  # what a saved edit calls
    _live(client)
    assert state.responses.stats.renders == 2
