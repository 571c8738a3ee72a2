"""Trends and Sources in a real browser: the figures drawn and listed are the site's own."""

from __future__ import annotations

import time

from servicelevel.dashboard.app import create_app

# The figure as Plotly holds it in the page: the traces' names, x and y.
TRACES_JS = """
var plot = document.querySelector('#trends-graph .js-plotly-plot');
if (!plot || !plot._fullData) { return null; }
return plot._fullData.map(function (t) {
    return {name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])};
});
"""

ROW_JS = "return dash_ag_grid.getApi(arguments[0]).getDisplayedRowAtIndex(0).data;"


def _traces(dash_duo, ready, timeout: float = 10.0) -> dict[str, dict[str, float]]:
    """{trace name: {x: y}} once ``ready(traces)`` holds; the x are local ISO times."""
    deadline = time.monotonic() + timeout
    while True:
        raw = dash_duo.driver.execute_script(TRACES_JS) or []
        traces = {t["name"]: dict(zip(t["x"], t["y"], strict=False)) for t in raw if t["name"]}
        if ready(traces):
            return traces
        assert time.monotonic() < deadline, f"the trend never showed as expected: {traces}"
        time.sleep(0.2)


def _at(traces: dict[str, dict[str, float]], name: str, start: str) -> float | None:
    """The y of trace ``name`` at the point whose local start begins with ``start``."""
    return next((y for x, y in traces.get(name, {}).items() if x.startswith(start)), None)


def test_trends_draw_each_queues_days_and_redraw_by_the_hour(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/trends?target=answer-20s")
    dash_duo.wait_for_element("#trends-graph .main-svg")
    daily = _traces(dash_duo, lambda t: "billing" in t)
    assert _at(daily, "billing", "2026-03-09") == 40.0
    assert _at(daily, "billing", "2026-03-10") == 50.0
    assert _at(daily, "sales", "2026-03-10") == 85.0
    assert _at(daily, "support", "2026-03-10") == 96.0
    assert len(daily["breach"]) == 2  # billing, both days
    dash_duo.wait_for_element("#trends-grid .ag-row")

    # Points every hour: today's 08:00 of support holds all 25 of its calls.
    hour = next(
        label
        for label in dash_duo.find_elements("#trends-granularity label")
        if label.text == "Hour"
    )
    hour.click()
    hourly = _traces(dash_duo, lambda t: any("T08:00" in x for x in t.get("support", {})))
    assert _at(hourly, "support", "2026-03-10T08:00") == 96.0
    assert _at(hourly, "support volume", "2026-03-10T08:00") == 25
    assert _at(hourly, "support volume", "2026-03-10T09:00") == 0
    assert dash_duo.get_logs() == []


def test_sources_account_for_the_queue_log_and_mask_its_quarantined_line(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/sources")
    kind = dash_duo.wait_for_element('#sources-grid .ag-row [col-id="kind"]')
    assert kind.text == "calls"
    # The counts are in columns scrolled out of view (AG Grid draws only the visible ones):
    # read them from the grid's own row.
    row = dash_duo.driver.execute_script(ROW_JS, "sources-grid")
    assert row["read"] == row["stored"] + row["duplicates"] + row["quarantined"]
    assert row["quarantined"] == 1 and row["stored"] > 100
    assert (row["lag"], row["run_status"]) == ("10 s", "ok")
    raw = dash_duo.wait_for_element('#sources-quarantine-grid .ag-row [col-id="raw"]')
    assert raw.text == "garbage line from ###### please call back"
    assert dash_duo.get_logs() == []


def test_sources_say_stale_since_the_newest_data_not_ok(dash_duo, site):
    """Issue 12, finding 5: read fine, but nothing newer than Tuesday: "stale since", dated."""
    from datetime import timedelta

    later = site.clock() + timedelta(days=3)
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=lambda: later)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/sources")
    dash_duo.wait_for_text_to_equal(
        '#sources-grid .ag-row [col-id="state"]', "stale since 2026-03-10 10:07 CET", timeout=60
    )
    row = dash_duo.driver.execute_script(ROW_JS, "sources-grid")
    assert row["freshness"] == "stale"
    assert dash_duo.get_logs() == []
