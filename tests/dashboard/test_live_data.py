"""The Live page's figures, computed without a browser from the known test site."""

from __future__ import annotations

import threading
from datetime import timedelta

from dashsite import NOW

from servicelevel.config import load_targets
from servicelevel.dashboard import data
from servicelevel.dashboard.state import TickCache


def _snapshot(site):
    targets = load_targets(site.targets_path).unwrap()
    return data.live_snapshot(site.engine, targets, {}, NOW)


def test_each_tile_has_the_value_and_status_of_its_queue(site):
    tiles = {t.key: t for t in _snapshot(site).tiles}
    assert (tiles["answer-20s|sales"].value_text, tiles["answer-20s|sales"].status) == (
        "85.0 %",
        "met",
    )
    assert (tiles["answer-20s|support"].value_text, tiles["answer-20s|support"].status) == (
        "96.0 %",
        "ideal",
    )
    assert (tiles["answer-20s|billing"].value_text, tiles["answer-20s|billing"].status) == (
        "50.0 %",
        "breach",
    )
    assert tiles["answer-20s-now|*"].window_text == "10:00–10:15"
    assert tiles["answer-20s-now|*"].value_text == "100.0 %"
    assert tiles["abandon-rate|*"].calculation == "2 / 55 = 3.6 %"
    assert tiles["returns|*"].status == "no_data"
    assert tiles["returns|*"].value_text == "n/a"


def test_a_service_level_tile_carries_its_formula_and_counts(site):
    sales = next(t for t in _snapshot(site).tiles if t.key == "answer-20s|sales")
    counts = dict(sales.counts)
    assert counts["Offered"] == "20"
    assert counts["Answered within 20 s"] == "17"
    assert counts["Abandoned"] == "2"
    assert counts["Short abandons (< 5 s, left out)"] == "1"
    assert counts["Outside business hours (left out)"] == "1"
    assert sales.formula.startswith("answered within 20 s / offered")
    assert sales.calculation == "17 / 20 = 85.0 %"
    assert sales.status_word == "Met" and sales.status_icon == "✓"


def test_waiting_calls_and_the_longest_wait_per_queue(site):
    waiting = {w.queue: w for w in _snapshot(site).waiting}
    assert (waiting["support"].calls, waiting["support"].longest_wait_text) == (2, "1 min 30 s")
    assert (waiting["sales"].calls, waiting["sales"].longest_wait_s) == (1, 10.0)
    assert waiting["billing"].calls == 0


def test_the_time_of_the_last_data_is_in_the_operations_zone(site):
    snap = _snapshot(site)
    assert snap.last_event_text == "10:07:20 CET"
    assert snap.now_text == "10:07:30 CET"


def test_one_evaluation_per_tick_however_many_clients_ask():
    cache: TickCache[int] = TickCache()
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(("tick", 1), compute)))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 20 and cache.computed == 1
    assert cache.get(("tick", 2), compute) == 2


def test_a_broken_targets_file_and_a_silent_source_make_banners(site):
    targets = load_targets(site.targets_path).unwrap()
    issue = load_targets(site.root / "missing.toml").errors
    later = NOW + timedelta(days=365)  # long after the source was last read
    notices = data.notices(site.engine, targets, issue, later)
    levels = [n.level for n in notices]
    assert "danger" in levels and "warning" in levels
    assert any("last good targets" in n.title for n in notices)
    assert any("silent" in n.title for n in notices)


def test_the_demo_says_it_has_no_login(site):
    targets = load_targets(site.targets_path).unwrap()
    notices = data.notices(site.engine, targets, [], NOW, demo=True)
    assert "no login" in notices[0].title


def test_quarantined_lines_have_phone_numbers_masked(site):
    targets = load_targets(site.targets_path).unwrap()
    rows = data.quarantine_rows(site.engine, targets)
    assert rows and rows[0]["raw"] == "garbage line from ###### please call back"


def test_everyone_may_see_the_quarantine_counted_by_reason(site):
    targets = load_targets(site.targets_path).unwrap()
    (row,) = data.quarantine_summary(site.engine, targets)
    reason = "missing fields: expected at least 5 '|'-separated fields, got 1"
    assert (row["reason"], row["rows"]) == (reason, 1)
    assert set(row) == {"source", "reason", "rows", "newest"}  # no raw line


def test_source_rows_account_for_every_line_read(site):
    targets = load_targets(site.targets_path).unwrap()
    (row,) = data.source_rows(site.engine, targets, NOW)
    assert row["read"] == row["stored"] + row["duplicates"] + row["quarantined"]
    assert row["quarantined"] == 1 and row["lag"] == "10 s"


# --- old data looks old, and "no data" says why (issue 12, finding 5) ------------------------

THREE_DAYS_LATER = NOW + timedelta(days=3)  # Friday: the site's log stopped on Tuesday 10:07


def test_old_data_makes_tiles_stale_since_the_newest_fact_with_its_date(site):
    """The source was read after this "now" (the real clock): only the data's time is old."""
    targets = load_targets(site.targets_path).unwrap()
    snap = data.live_snapshot(site.engine, targets, {}, THREE_DAYS_LATER)
    tiles = {t.key: t for t in snap.tiles}
    sales = tiles["answer-20s|sales"]
    assert (sales.status, sales.status_word) == ("stale", "Stale")
    assert sales.note == "Stale since 2026-03-10 10:07 CET"
    assert {t.status for t in snap.tiles if t.kpi != "return_rate"} == {"stale"}
    assert snap.last_event_text == "2026-03-10 10:07:20 CET"  # not "10:07:20": not today


def test_a_no_data_tile_says_why(site):
    targets = load_targets(site.targets_path).unwrap()
    tiles = {t.key: t for t in _snapshot(site).tiles}
    assert tiles["returns|*"].note == "No source of orders or returns has been imported"
    assert tiles["answer-20s|sales"].note == ""  # a figure needs no excuse
    # 10:20, thirteen minutes after the last call: current, but this quarter hour is empty
    quiet = data.live_snapshot(site.engine, targets, {}, NOW + timedelta(minutes=12, seconds=30))
    now_tile = next(t for t in quiet.tiles if t.key == "answer-20s-now|*")
    assert now_tile.status == "no_data"
    assert now_tile.note == "Below min_volume: 0 of 1 offered calls"


def test_the_sources_row_of_old_data_is_stale_not_ok(site):
    targets = load_targets(site.targets_path).unwrap()
    (row,) = data.source_rows(site.engine, targets, THREE_DAYS_LATER)
    assert (row["freshness"], row["state"]) == ("stale", "stale since 2026-03-10 10:07 CET")
    (today,) = data.source_rows(site.engine, targets, NOW)
    assert (today["freshness"], today["state"]) == ("ok", "ok")


def test_old_data_makes_a_banner_with_its_date(site):
    targets = load_targets(site.targets_path).unwrap()
    notices = data.notices(site.engine, targets, [], THREE_DAYS_LATER)
    (old,) = [n for n in notices if "no new data" in n.title]
    (line,) = old.lines
    assert "newest data 2026-03-10 10:07 CET" in line
