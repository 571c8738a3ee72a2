"""After a definition change, readers answer at once from the stored rollups, writing nothing.

The known site (``dashsite``) is imported with T = 20 s everywhere. Then the targets file is
edited: the daily service level ``answer-20s`` moves to T = 45 s (a threshold the rollups do not
count yet), or Tuesday opens at 09:00 instead of 08:00 (another day calendar). A reader on its
own engine, with a listener counting every INSERT/UPDATE/DELETE it sends, must then return the
previous figures marked "recomputing" (and no_data for T = 45 s) without a single write; the
rebuild job then runs, and the figures must equal those of a fresh import made with the new
targets into another database (an independent computation of the same thing).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from dashsite import NOW, TARGETS_TOML, TODAY, build_log
from sqlalchemy import Engine, event

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import Targets, load_targets
from servicelevel.context import rollup_spec
from servicelevel.dashboard import data
from servicelevel.evaluate import evaluate_at, evaluate_range
from servicelevel.store import make_engine
from servicelevel.store.rollups_job import RollupRebuildJob, latest_runs

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "MERGE")
NEW_THRESHOLD = ("threshold_seconds = 20\nqueues", "threshold_seconds = 45\nqueues")
LATER_TUESDAY = ('tuesday = ["08:00", "18:00"]', 'tuesday = ["09:00", "18:00"]')


class WriteCounter:
    """Every statement an engine sends that could change the database."""

    def __init__(self, engine: Engine) -> None:
        self.writes: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            self.writes.append(statement)


def edit(site, change: tuple[str, str]) -> Targets:
    text = site.targets_path.read_text(encoding="utf-8")
    assert change[0] in text
    site.targets_path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    return load_targets(site.targets_path).unwrap()


def figures(engine: Engine, targets: Targets) -> list[tuple]:
    """What the wallboard shows now and every day window of the last two days."""
    statuses = evaluate_at(engine, targets, NOW, now=NOW, history={})
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    statuses += evaluate_range(engine, targets, yesterday, tomorrow, now=NOW, history={})
    return [
        (s.target.id, s.scope, s.window.start, s.value, s.status, s.kpi.numerator,
         s.kpi.denominator, s.recomputing)
        for s in statuses
    ]  # fmt: skip


def fresh_import(tmp_path: Path, targets: Targets) -> Engine:
    """The same queue_log imported from scratch with ``targets`` into a new database."""
    log = tmp_path / "fresh" / "queue_log"
    log.parent.mkdir()
    log.write_text(build_log(), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh' / 'fresh.db'}")
    import_file(engine, log, rollup_spec(targets), final=False)
    return engine


@pytest.fixture
def reader(site):
    engine = make_engine(site.db_url, upgrade=False)
    yield engine, WriteCounter(engine)
    engine.dispose()


def test_a_new_threshold_is_served_at_once_as_recomputing_without_a_write(site, reader, tmp_path):
    before = figures(site.engine, load_targets(site.targets_path).unwrap())
    targets = edit(site, NEW_THRESHOLD)
    engine, counter = reader

    started = time.perf_counter()
    snap = data.live_snapshot(engine, targets, {}, NOW)
    notices = data.notices(engine, targets, [], NOW)
    view = data.rollup_view(engine, targets, NOW)
    stale = figures(engine, targets)
    took = time.perf_counter() - started
    assert counter.writes == []
    assert took < 10  # no recount from the raw calls inside the request

    assert snap.recomputing
    tiles = {t.key: t for t in snap.tiles}
    for queue in ("sales", "support", "billing"):  # T = 45 s is not counted yet: no number
        tile = tiles[f"answer-20s|{queue}"]
        assert (tile.status, tile.value) == ("no_data", None)
        assert tile.calculation == "being recomputed for the new definition"
    assert tiles["answer-20s-now|*"].value_text == "100.0 %"  # T = 20 s: stored figure served
    assert tiles["abandon-rate|*"].calculation == "2 / 55 = 3.6 %"
    assert any(n.title == data.RECOMPUTING_TITLE for n in notices)
    assert view.recomputing and view.state_text.startswith("Recomputing")
    # Every figure but the new threshold's is the one served before the edit, now flagged.
    kept = ("answer-20s-now", "abandon-rate", "returns")
    assert [f[:-1] for f in stale if f[0] in kept] == [f[:-1] for f in before if f[0] in kept]
    assert all(f[-1] for f in stale if f[0] != "returns")  # every call figure is flagged
    assert not any(f[-1] for f in before)

    outcome = RollupRebuildJob(engine).run_once(rollup_spec(targets))  # a writer, counted too
    assert outcome is not None and outcome.kind == "calls"
    assert any(w.lstrip().upper().startswith("DELETE") for w in counter.writes)  # it counts
    run = latest_runs(site.engine, 1)[0]
    assert (run.status, run.rows_done, run.rows_total) == ("done", outcome.rows, outcome.rows)
    assert run.finished_at is not None and run.finished_at >= run.started_at

    counter.writes.clear()
    rebuilt = figures(engine, targets)
    assert counter.writes == []
    assert not data.live_snapshot(engine, targets, {}, NOW).recomputing
    fresh = fresh_import(tmp_path, targets)
    try:
        assert rebuilt == figures(fresh, targets)
    finally:
        fresh.dispose()
    today = [f for f in rebuilt if f[:2] == ("answer-20s", "sales") and f[2] <= NOW]
    assert today[-1][3:7] == (90.0, "ideal", 18, 20)  # the answer after 40 s is now within T
    assert data.rollup_view(engine, targets, NOW).state_text == "Up to date with the targets."


def test_a_business_hours_change_is_served_as_recomputing_then_regrouped(site, reader, tmp_path):
    targets = edit(site, LATER_TUESDAY)
    engine, counter = reader
    stale = figures(engine, targets)
    assert counter.writes == []
    assert all(f[-1] for f in stale if f[0] != "returns")

    outcome = RollupRebuildJob(site.engine).run_once(rollup_spec(targets))
    assert outcome is not None and outcome.kind == "days"  # no raw call read again
    fresh = fresh_import(tmp_path, targets)
    try:
        assert figures(engine, targets) == figures(fresh, targets)
    finally:
        fresh.dispose()
    assert RollupRebuildJob(site.engine).run_once(rollup_spec(targets)) is None  # done once


def test_the_unchanged_targets_are_read_without_a_write_and_not_recomputing(site, reader):
    engine, counter = reader
    targets = load_targets(site.targets_path).unwrap()
    snap = data.live_snapshot(engine, targets, {}, NOW)
    data.notices(engine, targets, [], NOW)
    assert counter.writes == []
    assert not snap.recomputing
    assert TARGETS_TOML  # the site's own policy, untouched
