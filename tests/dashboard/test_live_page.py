"""The wallboard in a real browser: values, colours, words, counts one click away, kiosk."""

from __future__ import annotations

import time

from selenium.common.exceptions import StaleElementReferenceException

from servicelevel.dashboard.app import create_app

# Bootstrap's danger, the amber of "met" and success: the tiles' left edge.
EDGE = {
    "breach": "rgba(220, 53, 69, 1)",
    "met": "rgba(181, 129, 0, 1)",
    "ideal": "rgba(25, 135, 84, 1)",
    "no_data": "rgba(108, 117, 125, 1)",
}


def tile(dash_duo, key: str):
    return dash_duo.wait_for_element(f'[data-tile="{key}"]')


def test_tiles_show_the_right_values_colours_and_words(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    expected = {
        "answer-20s|billing": ("50.0 %", "Breach", "breach"),
        "answer-20s|sales": ("85.0 %", "Met", "met"),
        "answer-20s|support": ("96.0 %", "Ideal", "ideal"),
        "returns|*": ("n/a", "No data", "no_data"),
    }
    for key, (value, word, status) in expected.items():
        element = tile(dash_duo, key)
        assert element.find_element("css selector", ".sl-value").text == value
        assert word in element.find_element("css selector", ".sl-badge").text
        assert element.get_attribute("data-status") == status
        assert element.value_of_css_property("border-left-color") == EDGE[status]
    billing = tile(dash_duo, "answer-20s|billing")
    assert "minimum 80 % · ideal 90 %" in billing.text
    assert billing.find_elements("css selector", ".sl-mark-min")
    dash_duo.wait_for_text_to_equal("#live-last-data", "10:07:20 CET")
    waiting = dash_duo.find_element('#live-waiting-table [data-queue="support"]')
    assert waiting.text.split() == ["support", "2", "1", "min", "30", "s"]
    assert dash_duo.get_logs() == []


def test_the_counts_behind_a_service_level_are_one_click_away(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    sales = tile(dash_duo, "answer-20s|sales")
    counts = sales.find_element("css selector", ".sl-counts")
    assert not counts.is_displayed()
    sales.find_element("css selector", "summary").click()
    assert counts.is_displayed()
    text = sales.find_element("css selector", ".sl-details").text
    assert "answered within 20 s / offered" in text
    assert "17 / 20 = 85.0 %" in text
    assert "Short abandons (< 5 s, left out) 1" in text
    assert "Outside business hours (left out) 1" in text
    assert dash_duo.get_logs() == []


def test_kiosk_mode_hides_the_navigation_and_enlarges_the_type(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    normal = tile(dash_duo, "answer-20s|sales").find_element("css selector", ".sl-value")
    normal_size = float(normal.value_of_css_property("font-size").rstrip("px"))
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/live?kiosk=1")
    big = tile(dash_duo, "answer-20s|sales").find_element("css selector", ".sl-value")
    assert float(big.value_of_css_property("font-size").rstrip("px")) > normal_size * 1.25
    assert not dash_duo.find_element("#shell-navbar").is_displayed()
    assert dash_duo.get_logs() == []


def test_open_counts_stay_open_across_auto_refreshes(dash_duo, site):
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    summary = '[data-tile="answer-20s|sales"] summary'
    dash_duo.wait_for_element(summary).click()
    counts = '[data-tile="answer-20s|sales"] .sl-counts'
    assert dash_duo.find_element(counts).is_displayed()
    # mark the tile: a redraw replaces it, and the mark goes with the old one
    dash_duo.driver.execute_script(
        "document.querySelector(arguments[0]).dataset.old = 'yes'", summary
    )
    deadline = time.monotonic() + 10  # the test policy refreshes every 2 s
    while dash_duo.driver.execute_script(
        "var e = document.querySelector(arguments[0]); return e && e.dataset.old", summary
    ):
        assert time.monotonic() < deadline, "the tiles were never redrawn"
        time.sleep(0.2)
    assert displayed(dash_duo, counts)
    assert dash_duo.get_logs() == []


def displayed(dash_duo, css: str) -> bool:
    """Whether ``css`` is shown, asked again when the next 2 s redraw replaces the element
    between finding it and asking (a stale reference is a redraw, not an answer)."""
    for _ in range(5):
        try:
            return bool(dash_duo.find_element(css).is_displayed())
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{css} was replaced five times in a row")


def test_old_data_shows_stale_since_with_its_date_and_no_data_says_why(dash_duo, site):
    """Issue 12, finding 5: three days after the log stopped, the tiles say so, dated.

    Asked by selector each time: the page redraws its tiles every 2 s, so a found element may
    be replaced before it is read.
    """
    from datetime import timedelta

    later = site.clock() + timedelta(days=3)
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=lambda: later)
    dash_duo.start_server(app)
    sales = '[data-tile="answer-20s|sales"]'
    wait = 60  # a loaded machine (other helpers' Chromiums) draws slowly
    dash_duo.wait_for_element(f'{sales}[data-status="stale"]', timeout=wait)
    dash_duo.wait_for_contains_text(f"{sales} .sl-badge", "Stale", timeout=wait)
    note = "Stale since 2026-03-10 10:07 CET"
    dash_duo.wait_for_text_to_equal(f"{sales} .sl-tile-note", note, timeout=wait)
    assert displayed(dash_duo, f"{sales} .sl-tile-note")
    dash_duo.wait_for_text_to_equal(
        '[data-tile="returns|*"] .sl-tile-note',
        "No source of orders or returns has been imported",
        timeout=wait,
    )
    dash_duo.wait_for_text_to_equal("#live-last-data", "2026-03-10 10:07:20 CET", timeout=wait)
    assert dash_duo.get_logs() == []
