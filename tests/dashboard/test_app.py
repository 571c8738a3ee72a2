"""create_app itself: several apps in one process, the home page, secure defaults."""

from __future__ import annotations

from servicelevel.dashboard.app import create_app


def test_an_app_that_never_served_leaves_no_duplicate_callbacks(site):
    create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    outputs = [d["output"] for d in app.server.test_client().get("/_dash-dependencies").json]
    assert len(outputs) == len(set(outputs))
    assert "live-body.children" in outputs


def test_the_home_page_is_live_and_keeps_the_query(site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    response = app.server.test_client().get("/?kiosk=1")
    assert response.status_code == 302 and response.location == "/live?kiosk=1"


def test_bootstrap_is_served_by_the_dashboard_itself(site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    client = app.server.test_client()
    page = client.get("/live").get_data(as_text=True)
    assert "/assets/00-bootstrap.min.css" in page and "cdn" not in page.lower()
