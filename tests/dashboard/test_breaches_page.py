"""A breach in the data shows on Breaches, and its link leads to the calls behind it."""

from __future__ import annotations

from servicelevel.dashboard.app import create_app


def test_a_breach_appears_with_its_depth_and_leads_to_the_queue_day(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/breaches")
    dash_duo.wait_for_text_to_equal("#breaches-message", "4 breaches")
    rows = dash_duo.find_elements("#breaches-grid .ag-center-cols-container .ag-row")
    texts = [" | ".join(c.text for c in r.find_elements("css selector", ".ag-cell")) for r in rows]
    billing = next(t for t in texts if "billing" in t)
    assert "Answered within 20 s | billing | 2026-03-09 00:00 CET | ongoing" in billing
    assert "40.0 % | 80 % | 40 %" in billing
    assert dash_duo.find_elements("#breaches-timeline .main-svg")
    # the Calls column links to the drill-down of the breach's first day
    link = next(
        a
        for a in dash_duo.find_elements("#breaches-grid a")
        if "queue=billing" in a.get_attribute("href")
    )
    link.click()
    dash_duo.wait_for_contains_text("#queue-summary", "10 offered")
    assert "2026-03-09" in dash_duo.driver.current_url
    dash_duo.wait_for_element("#queue-abandoned-grid .ag-row")
    abandoned = dash_duo.find_elements("#queue-abandoned-grid .ag-center-cols-container .ag-row")
    assert len(abandoned) == 6
    assert dash_duo.get_logs() == []


def test_breaches_can_be_filtered_by_queue(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/breaches?queue=sales")
    dash_duo.wait_for_text_to_equal("#breaches-message", "0 breaches")
    assert dash_duo.get_logs() == []
