"""The kiosk on wall screens, in a real browser: 1366x768, 1920x1080 and 3840x2160.

Every tile on one screen without scrolling (or, beyond what can be read from across the room,
pages that rotate), breaches first and in a red tile, the breach count in the header, and no
demo note. The site is ``dashsite``'s with more targets (``kiosksite``); one backend is enough:
the layout does not depend on the database.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashsite import Site
from kiosksite import breach_count, make_kiosk_site, tile_count

from servicelevel.dashboard.app import create_app

SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
BREACH_BACKGROUND = "rgb(176, 42, 55)"  # --sl-breach-tile, the whole tile
# kiosk.js never lets the value's font go under this share of the screen height
MIN_VALUE_OF_SCREEN = 0.04

# What the page looks like now, measured in the browser.
MEASURE = """
var grid = document.getElementById('live-tiles');
var shown = Array.from(grid.querySelectorAll('.sl-tile'))
  .filter(t => !t.hasAttribute('data-off-page'));
return {
  scrollHeight: document.documentElement.scrollHeight,
  scrollWidth: document.documentElement.scrollWidth,
  innerHeight: window.innerHeight,
  innerWidth: window.innerWidth,
  page: grid.dataset.page, pages: grid.dataset.pages,
  all: Array.from(grid.querySelectorAll('.sl-tile')).map(t => t.dataset.status),
  shown: shown.map(t => t.dataset.tile),
  lowest: Math.max(...shown.map(t => t.getBoundingClientRect().bottom)),
  rightmost: Math.max(...shown.map(t => t.getBoundingClientRect().right)),
  overflowing: shown
    .filter(t => t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1)
    .map(t => t.dataset.tile),
  valueFonts: shown.map(t => parseFloat(getComputedStyle(t.querySelector('.sl-value')).fontSize)),
  firstBackground: getComputedStyle(shown[0]).backgroundColor,
  indicator: (document.getElementById('live-kiosk-page') || {}).textContent,
};
"""


def kiosk_site(
    tmp_path: Path, sqlite_url: str, extra: int, refresh_seconds: int = 30
) -> Iterator[Site]:
    site = make_kiosk_site(tmp_path, sqlite_url, extra, refresh_seconds)
    try:
        yield site
    finally:
        site.engine.dispose()


@pytest.fixture
def site18(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    yield from kiosk_site(tmp_path, sqlite_url, 4)


@pytest.fixture
def site42(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    yield from kiosk_site(tmp_path, sqlite_url, 12)


@pytest.fixture
def site42_ticking(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    """42 tiles redrawn every 2 s: the rotation must survive the live refresh."""
    yield from kiosk_site(tmp_path, sqlite_url, 12, refresh_seconds=2)


# Installed before the kiosk page loads: every page the grid shows, and when (ms since load).
RECORD_PAGES = """
window.__slPages = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    window.__slPages.push([Math.round(performance.now()), r.target.dataset.page]);
  });
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-page']});
"""


def open_kiosk(
    dash_duo, site: Site, size: tuple[int, int], query: str = "", before_load: str = ""
) -> dict:
    app = create_app(site.engine, site.targets_path, demo_note=True, clock=site.clock)
    dash_duo.start_server(app)
    if before_load:
        dash_duo.driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": before_load}
        )
    # A loaded machine's Chromium can be busy redrawing for longer than selenium's 30 s.
    dash_duo.driver.set_script_timeout(180)
    width, height = size
    # The viewport itself is width x height (the window around it does not count).
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    dash_duo.wait_for_page(dash_duo.server_url.rstrip("/") + "/live?kiosk=1" + query)
    dash_duo.wait_for_element("#live-tiles[data-pages]")
    time.sleep(0.3)  # let a resize or a late redraw settle
    return measure(dash_duo)


def measure(dash_duo) -> dict:
    return dash_duo.driver.execute_script(MEASURE)


def assert_fits(seen: dict) -> None:
    """Nothing below or beside the screen, nothing cut inside a tile, values legible."""
    assert seen["scrollHeight"] <= seen["innerHeight"], seen
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    assert seen["lowest"] <= seen["innerHeight"], seen
    assert seen["rightmost"] <= seen["innerWidth"], seen
    assert seen["overflowing"] == [], seen
    assert min(seen["valueFonts"]) >= MIN_VALUE_OF_SCREEN * seen["innerHeight"] - 0.5, seen


def assert_breaches_first(statuses: list[str], breaches: int) -> None:
    assert statuses[:breaches] == ["breach"] * breaches
    assert "breach" not in statuses[breaches:]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_eighteen_tiles_fit_one_screen_breaches_first_in_red(dash_duo, site18, size):
    seen = open_kiosk(dash_duo, site18, size)
    assert len(seen["all"]) == tile_count(4) == 18
    assert (seen["pages"], seen["indicator"]) == ("1", "")
    assert len(seen["shown"]) == 18
    assert_fits(seen)
    assert_breaches_first(seen["all"], breach_count(4))
    assert seen["firstBackground"] == BREACH_BACKGROUND
    assert dash_duo.find_element("#live-breach-count").text == "3 breaches"
    first = dash_duo.find_element("#live-tiles .sl-tile")
    assert "Breach" in first.find_element("css selector", ".sl-badge").text  # a word, not a hue
    assert not dash_duo.find_element("#shell-navbar").is_displayed()
    assert "Demo" not in dash_duo.find_element("#shell-banner").text
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_too_many_tiles_are_paged_and_each_page_fits(dash_duo, site42, size):
    seen = open_kiosk(dash_duo, site42, size)
    assert len(seen["all"]) == tile_count(12) == 42
    pages = int(seen["pages"])
    assert pages > 1
    assert seen["indicator"] == f"page 1/{pages}"
    assert len(seen["shown"]) == -(-42 // pages)  # even pages
    assert_fits(seen)
    assert_breaches_first(seen["all"], breach_count(12))
    assert seen["firstBackground"] == BREACH_BACKGROUND
    assert dash_duo.find_element("#live-breach-count").text == f"{breach_count(12)} breaches"


def test_pages_rotate_after_the_interval(dash_duo, site42_ticking):
    """The pages turn every ``rotate`` seconds, in order, and the live refresh (every 2 s here)
    never sends the wall back to page 1. The browser records each turn with its time, so the
    test does not depend on how quickly a loaded machine answers it."""
    seen = open_kiosk(dash_duo, site42_ticking, (1366, 768), "&rotate=5", RECORD_PAGES)
    pages = int(seen["pages"])
    assert pages > 1
    started = time.monotonic()
    while len(turns := record_of_turns(dash_duo)) < 3:
        assert time.monotonic() - started < 180, f"the pages never turned: {turns}"
        time.sleep(0.5)
    shown = [page for _, page in turns]
    assert shown[0] == "1"
    for before, after in itertools.pairwise(shown):
        assert int(after) == int(before) % pages + 1, shown  # in order, never reset to 1
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(turns)]
    # not before the interval (5 s); a timer held up by a busy page may fire a later turn early
    assert gaps[0] >= 4900 and min(gaps) >= 2500, gaps
    now = measure(dash_duo)
    assert now["indicator"] == f"page {now['page']}/{pages}"
    assert now["shown"] and len(now["shown"]) == -(-42 // pages)
    assert_fits(now)
    assert dash_duo.get_logs() == []


def record_of_turns(dash_duo) -> list[tuple[int, str]]:
    """The pages shown so far, each with when it appeared, repeats (redraws) left out."""
    record = dash_duo.driver.execute_script("return window.__slPages || []")
    turns: list[tuple[int, str]] = []
    for at, page in record:
        if page and (not turns or turns[-1][1] != page):
            turns.append((at, page))
    return turns


def test_the_desk_live_page_has_the_count_and_the_order_but_not_the_wall_layout(dash_duo, site18):
    app = create_app(site18.engine, site18.targets_path, demo_note=True, clock=site18.clock)
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#live-tiles .sl-tile")
    statuses = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#live-tiles .sl-tile'))"
        ".map(t => t.dataset.status)"
    )
    assert_breaches_first(statuses, breach_count(4))
    assert dash_duo.find_element("#live-breach-count").text == "3 breaches"
    assert dash_duo.find_element("#shell-navbar").is_displayed()
    assert "Demo" in dash_duo.find_element("#shell-banner").text
    grid = dash_duo.find_element("#live-tiles")
    assert grid.get_attribute("data-pages") is None  # kiosk.js leaves the desk page alone
    assert dash_duo.get_logs() == []
