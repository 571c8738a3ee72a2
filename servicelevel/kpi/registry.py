"""The KPI registry: one definition per KPI, read by config, evaluate, dashboard and reports.

Why one table: a KPI's name, unit, direction, the data it reads, its formula in words, the
words beside its counts and what ``min_volume`` counts used to be kept in eight files, each a
copy that could drift. Every reader now looks the KPI up here (``KPIS[target.kpi]``), at call
time, so adding a KPI is one :class:`KpiDefinition` + its maths in :mod:`.maths` (+ for a fact
KPI, the query that counts it in :mod:`servicelevel.evaluate.facts`) + docs/targets.md.

``KpiName`` stays a hand-written ``Literal`` so mypy can check ``target.kpi``; a test fails when
it and :data:`KPIS` disagree. Validation (pydantic) reads :data:`KPIS`, not the Literal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from servicelevel.kpi import maths
from servicelevel.kpi.maths import AbandonMode, CallCounts, KpiValue

KpiName = Literal[
    "service_level",
    "abandon_rate",
    "asa",
    "longest_wait",
    "return_rate",
    "complaint_satisfaction",
    "complainant_repurchase",
]
Unit = Literal["%", "s"]
# How a value is formed from its two counts: a ratio x 100, a mean (sum / count), or the
# largest single value (the numerator; the denominator is only the volume).
Shape = Literal["percent", "mean", "max"]
CALLS = "calls"  # the source kind of the call KPIs (queue log, mapped call files)


class CallParams(Protocol):
    """What a call KPI may read from its target (``config.Target`` has these)."""

    @property
    def threshold_seconds(self) -> float | None: ...

    @property
    def abandons(self) -> AbandonMode: ...


@dataclass(frozen=True, slots=True)
class Count:
    """One count behind a value: its key in ``Status.breakdown()`` and the words shown beside it."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """Everything the rest of servicelevel knows about one KPI.

    ``compute`` is ``(CallCounts, CallParams) -> KpiValue`` for a KPI read from calls, and
    ``(numerator, denominator) -> KpiValue`` for one read from facts; use :meth:`of_calls` or
    :meth:`of_facts`, which check which one it is.
    """

    name: str
    title: str  # in words, e.g. "Service level"
    unit: Unit
    higher_is_better: bool
    sources: tuple[str, ...]  # source kinds read; their silence makes the target "stale"
    # The definition in words for screens and emails; ``{t}`` is the threshold and
    # ``{excluded}`` what call KPIs leave out. A mapping gives one text per ``abandons`` mode.
    formula: str | Mapping[str, str]
    numerator: Count
    denominator: Count
    volume: str  # what ``min_volume`` counts, e.g. "offered calls"
    compute: Callable[..., KpiValue]
    shape: Shape = "percent"
    options: frozenset[str] = field(default_factory=frozenset)  # target keys only it takes
    # Days after the window during which the value can still rise (a shortfall is no breach).
    follow_up_days: int | None = None
    # What spends a rate's error budget and what earns it back, (one, many), for sentences
    # such as "12 more late answers today keep the minimum" (servicelevel.evaluate.budget).
    miss: tuple[str, str] = ("miss", "misses")
    success: tuple[str, str] = ("success", "successes")

    @property
    def has_budget(self) -> bool:
        """A rate (a share of contacts) has an error budget; a mean or a maximum has none."""
        return self.shape == "percent"

    @property
    def calls(self) -> bool:
        """Read from call rollups (queues, per_queue, business hours apply)."""
        return self.sources == (CALLS,)

    def of_calls(self, counts: CallCounts, params: CallParams) -> KpiValue:
        if not self.calls:
            raise ValueError(f"{self.name} is not a call KPI")
        value: KpiValue = self.compute(counts, params)
        return value

    def of_facts(self, numerator: int, denominator: int) -> KpiValue:
        if self.calls:
            raise ValueError(f"{self.name} is not a fact KPI")
        value: KpiValue = self.compute(numerator, denominator)
        return value

    def formula_text(self, *, threshold: str, excluded: str, abandons: str) -> str:
        text = self.formula if isinstance(self.formula, str) else self.formula[abandons]
        return text.format(t=threshold, excluded=excluded)


def _service_level(counts: CallCounts, params: CallParams) -> KpiValue:
    assert params.threshold_seconds is not None  # required by validation
    return maths.service_level(counts, params.threshold_seconds, params.abandons)


def _abandon_rate(counts: CallCounts, _params: CallParams) -> KpiValue:
    return maths.abandon_rate(counts)


def _asa(counts: CallCounts, _params: CallParams) -> KpiValue:
    return maths.average_speed_of_answer(counts)


def _longest_wait(counts: CallCounts, _params: CallParams) -> KpiValue:
    return maths.longest_wait(counts)


_OFFERED = Count("offered", "offered")
_DEFINITIONS = (
    KpiDefinition(
        name="service_level",
        title="Service level",
        unit="%",
        higher_is_better=True,
        sources=(CALLS,),
        formula={
            "miss": "answered within {t} s / offered (abandons count as misses; {excluded})",
            "ignore": "answered within {t} s / (offered - abandoned) "
            "(abandons left out of both; {excluded})",
            "success_within_t": "(answered within {t} s + abandoned within {t} s) / offered "
            "(an abandon within {t} s counts as a success; {excluded})",
        },
        numerator=Count("answered_within_t", "answered within T"),
        denominator=_OFFERED,
        volume="offered calls",
        compute=_service_level,
        options=frozenset({"threshold_seconds", "abandons"}),
        miss=("late answer", "late answers"),
        success=("answer in time", "answers in time"),
    ),
    KpiDefinition(
        name="abandon_rate",
        title="Abandon rate",
        unit="%",
        higher_is_better=False,
        sources=(CALLS,),
        formula="abandoned / offered ({excluded})",
        numerator=Count("abandoned", "abandoned"),
        denominator=_OFFERED,
        volume="offered calls",
        compute=_abandon_rate,
        miss=("abandon", "abandons"),
        success=("call not abandoned", "calls not abandoned"),
    ),
    KpiDefinition(
        name="asa",
        title="Average speed of answer",
        unit="s",
        higher_is_better=False,
        sources=(CALLS,),
        formula="mean wait of answered calls ({excluded})",
        numerator=Count("wait_sum_answered", "s of waiting"),
        denominator=Count("answered", "answered"),
        volume="answered calls",
        compute=_asa,
        shape="mean",
    ),
    KpiDefinition(
        name="longest_wait",
        title="Longest wait",
        unit="s",
        higher_is_better=False,
        sources=(CALLS,),
        formula="longest wait of any offered call ({excluded})",
        numerator=Count("max_wait", "longest wait"),
        denominator=_OFFERED,
        volume="offered calls",
        compute=_longest_wait,
        shape="max",
    ),
    KpiDefinition(
        name="return_rate",
        title="Return rate",
        unit="%",
        higher_is_better=False,
        sources=("orders", "returns"),
        formula="units returned / units sold in the window",
        numerator=Count("units_returned", "Units returned"),
        denominator=Count("units_sold", "Units sold"),
        volume="units sold",
        compute=maths.return_rate,
        miss=("unit returned", "units returned"),
        success=("unit kept", "units kept"),
    ),
    KpiDefinition(
        name="complaint_satisfaction",
        title="Complaint satisfaction",
        unit="%",
        higher_is_better=True,
        sources=("surveys",),
        formula="complainants answering 4 or 5 (on 1-5) / respondents",
        numerator=Count("satisfied", "Satisfied (4 or 5)"),
        denominator=Count("respondents", "Respondents"),
        volume="survey respondents",
        compute=maths.complaint_satisfaction,
        miss=("dissatisfied respondent", "dissatisfied respondents"),
        success=("satisfied respondent", "satisfied respondents"),
    ),
    KpiDefinition(
        name="complainant_repurchase",
        title="Complainant repurchase",
        unit="%",
        higher_is_better=True,
        sources=("complaints", "orders"),
        formula="complainants with an order within 90 days after resolution / complainants "
        "resolved in the window",
        numerator=Count("repurchasers", "Bought again within 90 days"),
        denominator=Count("resolved", "Complaints resolved"),
        volume="complainants resolved",
        compute=maths.complainant_repurchase,
        miss=("complainant not buying again", "complainants not buying again"),
        success=("complainant buying again", "complainants buying again"),
        follow_up_days=90,
    ),
)

# Keyed by name, in the order screens, docs and error messages list them. Tests may register a
# definition here (monkeypatch.setitem): every reader looks up at call time.
KPIS: dict[str, KpiDefinition] = {k.name: k for k in _DEFINITIONS}
# Import-time snapshots for callers that list the names (error hints, docs checks).
KPI_NAMES: tuple[str, ...] = tuple(KPIS)
CALL_KPIS: frozenset[str] = frozenset(k.name for k in _DEFINITIONS if k.calls)


def kpi(name: str) -> KpiDefinition:
    """The definition of ``name`` (a validated target's ``kpi``)."""
    return KPIS[name]


def call_kpi_names() -> list[str]:
    """Names of the KPIs read from calls, in registry order (as now registered)."""
    return [k.name for k in KPIS.values() if k.calls]
