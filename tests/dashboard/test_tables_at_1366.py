"""Breaches and Sources at 1366x768: their key cells are readable, never cut with an ellipsis.

Start and end times, target names, source names, dates and counts: AG Grid cuts a cell's text
when its column is narrower than the text; here every such cell's content must fit its box
(``scrollWidth <= clientWidth``), be it by a minimum width or by wrapping onto more lines, and
be on screen without scrolling sideways.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashsite import Site, make_site

from servicelevel.dashboard.app import create_app

CUT_CELLS = """
var grid = document.getElementById(arguments[0]);
var cols = arguments[1];
var cut = [], seen = {}, hidden = [];
var view = grid.querySelector('.ag-body-viewport, .ag-root-wrapper').getBoundingClientRect();
grid.querySelectorAll('.ag-center-cols-container .ag-cell, .ag-pinned-left-cols-container .ag-cell')
  .forEach(function (cell) {
    var col = cell.getAttribute('col-id');
    if (cols.indexOf(col) < 0) { return; }
    seen[col] = (seen[col] || 0) + 1;
    var box = cell.getBoundingClientRect();
    if (box.left < view.left - 1 || box.right > view.right + 1) { hidden.push(col); }
    var value = cell.querySelector('.ag-cell-value') || cell;
    if (value.scrollWidth > value.clientWidth + 1 || cell.scrollWidth > cell.clientWidth + 1
        || value.scrollHeight > cell.clientHeight + 1) {
      cut.push(col + ': ' + cell.textContent);
    }
  });
var headers = [];
grid.querySelectorAll('.ag-header-cell').forEach(function (h) {
  var text = h.querySelector('.ag-header-cell-text');
  var key = cols.indexOf(h.getAttribute('col-id')) >= 0;
  if (key && text && text.scrollWidth > text.clientWidth + 1) {
    headers.push(h.getAttribute('col-id'));
  }
});
return {cut: cut, seen: seen, headers: headers, hidden: hidden};
"""


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    built = make_site(tmp_path, sqlite_url)
    try:
        yield built
    finally:
        built.engine.dispose()


def open_at_1366(dash_duo, site: Site, path: str, ready: str) -> None:
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    )
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + path)
    dash_duo.wait_for_element(ready, timeout=20)
    time.sleep(1.0)  # the grid sizes its columns after the first rows are drawn


def check(dash_duo, grid_id: str, columns: list[str]) -> None:
    found = dash_duo.driver.execute_script(CUT_CELLS, grid_id, columns)
    assert set(found["seen"]) == set(columns), found  # every key column is there
    assert found["cut"] == [], found
    assert found["headers"] == [], found
    assert found["hidden"] == [], found  # on screen, not behind a sideways scroll


def test_breaches_times_names_and_counts_are_not_cut(dash_duo, site):
    open_at_1366(dash_duo, site, "/breaches", "#breaches-grid .ag-row")
    check(dash_duo, "breaches-grid", ["target", "queue", "start", "end", "duration", "windows"])


def test_sources_names_dates_and_counts_are_not_cut(dash_duo, site):
    open_at_1366(dash_duo, site, "/sources", "#sources-grid .ag-row")
    check(
        dash_duo,
        "sources-grid",
        ["source", "state", "last_read", "last_data", "last_run", "read", "stored", "quarantined"],
    )
