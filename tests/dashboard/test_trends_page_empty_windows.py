"""Trends in a real browser: an empty window reads "n/a" (never "nan %"), the y-axis fits an
abandon rate, and "Today" with weekly points still draws today's calls."""

from __future__ import annotations

import time

from servicelevel.dashboard.app import create_app

# The figure as Plotly holds it in the page: traces' names, y, hover text and the y-axis.
FIGURE_JS = """
var plot = document.querySelector('#trends-graph .js-plotly-plot');
if (!plot || !plot._fullData || !plot._fullLayout) { return null; }
return {
    traces: plot._fullData.map(function (t) {
        return {name: t.name, y: Array.from(t.y || []),
                custom: Array.from(t.customdata || []).map(function (row) {
                    return Array.from(row).map(String); })};
    }),
    range: Array.from(plot._fullLayout.yaxis.range),
};
"""
ROWS_JS = """
var api = dash_ag_grid.getApi(arguments[0]);
var rows = [];
api.forEachNode(function (node) { rows.push(node.data); });
return rows;
"""


def _wait(dash_duo, script, ready, *args, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        got = dash_duo.driver.execute_script(script, *args)
        if got and ready(got):
            return got
        assert time.monotonic() < deadline, f"never as expected: {got}"
        time.sleep(0.2)


def test_empty_hours_read_n_a_and_today_by_the_week_still_shows_today(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    # Today's abandon rate, a point every hour (the default for "Today"): the night is empty.
    dash_duo.wait_for_page(
        dash_duo.server_url.rstrip("/") + "/trends?target=abandon-rate&period=today"
    )
    dash_duo.wait_for_element("#trends-grid .ag-row")
    rows = _wait(dash_duo, ROWS_JS, lambda r: len(r) == 24, "trends-grid")
    by_label = {r["label"][-5:]: r for r in rows}
    assert by_label["03:00"]["value_text"] == "n/a" and by_label["03:00"]["volume"] == 0
    assert not any("nan" in r["value_text"] for r in rows)
    assert "nan" not in dash_duo.find_element("#trends-grid").text
    figure = _wait(dash_duo, FIGURE_JS, lambda f: f["traces"])
    [empty] = [t for t in figure["traces"] if t["name"] == "n/a (no value)"]
    assert {row[1] for row in empty["custom"]} == {"n/a"}  # what the hover shows
    _low, high = figure["range"]
    assert high < 100  # fitted to a few per cent, not drawn flat on 0-100 %

    # The same day with weekly points: no week starts on a Tuesday, so the day is drawn.
    week = next(
        label
        for label in dash_duo.find_elements("#trends-granularity label")
        if label.text == "Week"
    )
    week.click()
    dash_duo.wait_for_contains_text("#trends-message", "points every day are shown instead")
    rows = _wait(dash_duo, ROWS_JS, lambda r: len(r) == 1, "trends-grid")
    assert rows[0]["volume"] > 0 and rows[0]["value_text"].endswith(" %")
    assert dash_duo.get_logs() == []
