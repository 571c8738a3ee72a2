"""The error budget in a real browser: a line on each rate's Live tile, a chart on Trends.

Hand-worked from the test site (``dashsite``: minimum 80 %, today by queue):

* sales, 17 of 20 in time: floor(0.2 x 20) = 4 late answers allowed, 3 spent, 1 left;
  one more keeps 80 % (17 / 21 = 81.0 %), a second does not (17 / 22 = 77.3 %).
* support, 24 of 25: 5 allowed, 1 spent; 24 / 0.8 - 25 = 5 more keep it (24 / 30 = 80 %).
* billing, 5 of 10: 2 allowed, 5 spent, 3 over; (8 - 5) / 0.2 = 15 answers in time in a row
  reach it again (20 / 25 = 80 %; 14 would give 19 / 24 = 79.2 %). Yesterday 4 of 10: 4 over.
  Its ideal (90 %) allows floor(0.1 x 10) = 1: 4 over.
"""

from __future__ import annotations

import time

from servicelevel.dashboard.app import create_app

BUDGET_JS = """
var plot = document.querySelector('#trends-budget .js-plotly-plot');
if (!plot || !plot._fullData) { return null; }
return plot._fullData.map(function (t) {
    return {name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])};
});
"""


def _budget_traces(dash_duo, ready, timeout: float = 10.0) -> dict[str, dict[str, float]]:
    deadline = time.monotonic() + timeout
    while True:
        raw = dash_duo.driver.execute_script(BUDGET_JS) or []
        traces = {t["name"]: dict(zip(t["x"], t["y"], strict=False)) for t in raw if t["name"]}
        if ready(traces):
            return traces
        assert time.monotonic() < deadline, f"the budget never showed as expected: {traces}"
        time.sleep(0.2)


def _at(traces: dict[str, dict[str, float]], name: str, start: str) -> float | None:
    return next((y for x, y in traces.get(name, {}).items() if x.startswith(start)), None)


def test_live_tiles_say_their_budget_and_trends_draws_it(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/live")
    lines = {
        "sales": "1 more late answer today keeps the minimum",
        "support": "5 more late answers today keep the minimum",
        "billing": "15 answers in time in a row needed today to reach the minimum",
    }
    for queue, line in lines.items():
        dash_duo.wait_for_text_to_equal(f'[data-tile="answer-20s|{queue}"] .sl-tile-budget', line)
    # The allowance, one click away under "How it is counted".
    dash_duo.find_element('[data-tile="answer-20s|billing"] summary').click()
    dash_duo.wait_for_text_to_equal(
        '[data-tile="answer-20s|billing"] .sl-budget-detail',
        "Error budget: overspent by 3: 5 late answers, 2 allowed; to the ideal: overspent by 4: "
        "5 late answers, 1 allowed",
    )

    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/trends?target=answer-20s")
    dash_duo.wait_for_element("#trends-budget .main-svg")
    daily = _budget_traces(dash_duo, lambda t: "billing" in t and "sales" in t)
    assert _at(daily, "billing", "2026-03-09") == -4
    assert _at(daily, "billing", "2026-03-10") == -3
    assert _at(daily, "sales", "2026-03-10") == 1
    assert _at(daily, "support", "2026-03-10") == 4
    assert set(daily["overspent"].values()) == {-4, -3}
    assert dash_duo.get_logs() == []
