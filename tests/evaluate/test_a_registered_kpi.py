"""A KPI added to the registry alone is valid in targets.toml, evaluated and labelled.

Why: "adding a KPI = one definition + its maths (+ a fact KPI's query) + docs" is the promise
of servicelevel.kpi.registry. Each test registers a throwaway KPI that no module has heard of
and checks that validation, evaluation (both rollup levels), and the dashboard's
words all follow from its definition. The data is tests/data/queue_log_paris (see
test_evaluate.py): Monday 23 Nov 2026, offered 8 (sales 5, support 3), answered 5 (sales 4,
support 1); 09:00-10:00 has 4 offered sales calls, 3 answered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import parse_targets
from servicelevel.context import rollup_spec
from servicelevel.dashboard.data import counts_of
from servicelevel.evaluate import evaluate_at, evaluate_range
from servicelevel.evaluate.facts import FACT_COUNTS
from servicelevel.kpi import maths
from servicelevel.kpi.registry import KPIS, Count, KpiDefinition
from servicelevel.store import make_engine

DATA = Path(__file__).resolve().parents[1] / "data"
PARIS = ZoneInfo("Europe/Paris")
IMPORTED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SEED = (DATA / "targets_paris.toml").read_text(encoding="utf-8")

ANSWERED_SHARE = KpiDefinition(
    name="answered_share",
    title="Answered share",
    unit="%",
    higher_is_better=True,
    sources=("calls",),
    formula="answered / offered ({excluded})",
    numerator=Count("answered", "answered"),
    denominator=Count("offered", "offered"),
    volume="offered calls",
    compute=lambda counts, _params: maths.percent(counts.answered, counts.offered),
)
REFUND_SHARE = KpiDefinition(
    name="refund_share",
    title="Refunded returns",
    unit="%",
    higher_is_better=False,
    sources=("returns",),
    formula="returns refunded / returns in the window",
    numerator=Count("refunded", "Returns refunded"),
    denominator=Count("returns", "Returns"),
    volume="returns",
    compute=maths.percent,
)


def with_targets(*tables: str) -> str:
    return SEED + "".join(f"\n[[target]]\n{table.strip()}\n" for table in tables)


ANSWERED_TARGETS = (
    'id = "answered"\nname = "Answered"\nkpi = "answered_share"\nminimum = 60\nideal = 90',
    'id = "answered-queue"\nname = "Answered per queue"\nkpi = "answered_share"\n'
    "per_queue = true\nminimum = 60\nideal = 90",
    'id = "answered-hour"\nname = "Answered this hour"\nkpi = "answered_share"\n'
    'queues = ["sales"]\nwindow = "hour"\nminimum = 60\nideal = 90',
)


@pytest.fixture
def answered_share(monkeypatch):
    monkeypatch.setitem(KPIS, ANSWERED_SHARE.name, ANSWERED_SHARE)


@pytest.fixture
def refund_share(monkeypatch):
    monkeypatch.setitem(KPIS, REFUND_SHARE.name, REFUND_SHARE)
    monkeypatch.setitem(FACT_COUNTS, REFUND_SHARE.name, lambda _s, _a, _b, _k: (3, 4))


def test_an_unregistered_kpi_is_refused():
    result = parse_targets(with_targets(ANSWERED_TARGETS[0]))
    assert not result.ok
    assert 'unknown KPI "answered_share"' in result.errors[0].message


def test_a_registered_call_kpi_validates_with_its_direction_and_unit(answered_share):
    assert parse_targets(with_targets(*ANSWERED_TARGETS)).ok
    backwards = ANSWERED_TARGETS[0].replace("ideal = 90", "ideal = 50")
    [issue] = parse_targets(with_targets(backwards)).errors
    assert "higher is better for answered_share" in issue.message
    over = ANSWERED_TARGETS[0].replace("ideal = 90", "ideal = 120")
    [issue] = parse_targets(with_targets(over)).errors
    assert "answered_share is a percentage" in issue.message
    with_t = ANSWERED_TARGETS[0] + "\nthreshold_seconds = 20"
    [issue] = parse_targets(with_targets(with_t)).errors
    assert "threshold_seconds only applies to service_level" in issue.message


def test_a_registered_call_kpi_is_evaluated_on_both_rollup_levels(answered_share, sqlite_url):
    targets = parse_targets(with_targets(*ANSWERED_TARGETS)).unwrap()
    engine = make_engine(sqlite_url)
    try:
        import_file(engine, DATA / "queue_log_paris", rollup_spec(targets), now=IMPORTED_AT)
        day = evaluate_range(engine, targets, date(2026, 11, 23), date(2026, 11, 24))
        by = {(s.target.id, s.scope): s for s in day}
        total = by[("answered", "*")]
        assert (total.value, total.kpi.volume, total.status) == (62.5, 8, "met")  # 5 / 8
        assert by[("answered-queue", "sales")].value == 80.0  # 4 / 5
        support = by[("answered-queue", "support")]
        assert (support.value, support.status) == (pytest.approx(100 / 3), "breach")  # 1 / 3
        nine = datetime(2026, 11, 23, 9, 30, tzinfo=PARIS)
        [hour] = [s for s in evaluate_at(engine, targets, nine) if s.target.id == "answered-hour"]
        assert (hour.value, hour.kpi.volume, hour.status) == (75.0, 4, "met")  # 3 / 4
        assert hour.target.formula(5) == (
            "answered / offered (short abandons < 5 s and calls outside business hours excluded)"
        )
    finally:
        engine.dispose()


def test_a_registered_fact_kpi_is_whole_operation_counted_and_labelled(refund_share, sqlite_url):
    table = 'id = "refunds"\nname = "Refunds"\nkpi = "refund_share"\nminimum = 80\nideal = 50'
    [issue] = parse_targets(with_targets(table + '\nqueues = ["sales"]')).errors
    assert "queues only applies to call KPIs" in issue.message
    targets = parse_targets(with_targets(table)).unwrap()
    engine = make_engine(sqlite_url)
    try:
        monday = datetime(2026, 11, 23, 12, tzinfo=PARIS)
        now = datetime(2026, 11, 23, 12, 5, tzinfo=PARIS)
        [status] = [
            s for s in evaluate_at(engine, targets, monday, now=now) if s.target.id == "refunds"
        ]
    finally:
        engine.dispose()
    # Lower is better: 75 % is within the 80 % minimum, short of the 50 % ideal.
    assert (status.value, status.scope, status.status) == (75.0, "*", "met")
    assert status.details["refunded"] == 3 and status.details["returns"] == 4
    assert counts_of(status, 5) == (("Returns refunded", "3"), ("Returns", "4"))
