"""The KPI registry is the one list of KPIs: names, units, directions, sources, labels.

Why these tests: before the registry, adding a KPI meant editing eight or more hand-kept
copies (names, Literal, units, directions, call KPIs, source kinds, formulas, count labels).
These fail when a copy comes back or a definition is incomplete.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from servicelevel.config import CALL_KPIS, KPI_NAMES
from servicelevel.config.models import ABANDONS
from servicelevel.evaluate.calls import _ARRAY_FORMS
from servicelevel.evaluate.facts import FACT_COUNTS
from servicelevel.kpi.maths import CallCounts
from servicelevel.kpi.registry import KPIS, KpiName

PACKAGE = Path(__file__).resolve().parents[2] / "servicelevel"


def test_the_kpi_name_literal_lists_the_registry_in_order():
    assert get_args(KpiName) == tuple(KPIS)


def test_the_derived_names_come_from_the_registry():
    assert tuple(KPIS) == KPI_NAMES
    assert {k.name for k in KPIS.values() if k.calls} == CALL_KPIS
    assert {"service_level", "abandon_rate", "asa", "longest_wait"} == CALL_KPIS


@pytest.mark.parametrize("name", list(KPIS))
def test_every_definition_is_complete(name):
    kpi = KPIS[name]
    assert kpi.name == name
    assert kpi.unit in ("%", "s")
    assert kpi.sources and all(kpi.sources)
    assert kpi.title and kpi.volume
    assert kpi.numerator.key and kpi.numerator.label
    assert kpi.denominator.key and kpi.denominator.label
    texts = [kpi.formula] if isinstance(kpi.formula, str) else list(kpi.formula.values())
    if not isinstance(kpi.formula, str):
        assert set(kpi.formula) == set(ABANDONS), "one formula text per abandons mode"
    for mode in ABANDONS:
        assert kpi.formula_text(threshold="20", excluded="x", abandons=mode) in [
            t.format(t="20", excluded="x") for t in texts
        ]


@pytest.mark.parametrize("name", list(KPIS))
def test_every_kpi_is_computable_from_its_kind_of_data(name):
    kpi = KPIS[name]
    if kpi.calls:
        assert name not in FACT_COUNTS

        class Params:
            threshold_seconds = 20.0
            abandons = "miss"

        counts = CallCounts(offered=4, answered=3, abandoned=1, wait_sum_answered=30.0,
                            max_wait=40.0, answered_within={20.0: 2})  # fmt: skip
        assert kpi.of_calls(counts, Params()).value is not None
        with pytest.raises(ValueError, match="not a fact KPI"):
            kpi.of_facts(1, 2)
    else:
        assert name in FACT_COUNTS, f"{name} needs a query registered with @counted_by"
        assert kpi.of_facts(1, 4).value == 25.0
        with pytest.raises(ValueError, match="not a call KPI"):
            kpi.of_calls(CallCounts(), None)  # type: ignore[arg-type]


def test_array_forms_and_count_queries_belong_to_registered_kpis():
    assert set(_ARRAY_FORMS) <= {k.name for k in KPIS.values() if k.calls}
    assert set(FACT_COUNTS) == {k.name for k in KPIS.values() if not k.calls}


def _kpi_name_lists(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Tuple, list, set and dict literals holding two or more KPI names as plain strings."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            elements = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = node.elts
        else:
            continue
        names = [e.value for e in elements if isinstance(e, ast.Constant) and e.value in KPIS]
        if len(names) >= 2:
            found.append((node.lineno, names))
    return found


# Not lists of KPIs: the Queue page's call table has its own columns, named like two KPIs.
NOT_KPI_LISTS = {("dashboard/data_queue.py", ("asa", "longest_wait"))}


def test_no_module_outside_the_registry_keeps_its_own_list_of_kpis():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("kpi/"):
            continue
        for line, names in _kpi_name_lists(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, tuple(names)) not in NOT_KPI_LISTS:
                offenders.append(f"servicelevel/{relative}:{line}: {', '.join(names)}")
    assert not offenders, "read servicelevel.kpi.registry.KPIS instead:\n" + "\n".join(offenders)


def test_the_guard_finds_a_hand_kept_list():
    source = 'UNITS = {"asa": "s", "return_rate": "%"}\nCALLS = ("asa", "longest_wait")\n'
    assert [names for _line, names in _kpi_name_lists(ast.parse(source))] == [
        ["asa", "return_rate"],
        ["asa", "longest_wait"],
    ]
