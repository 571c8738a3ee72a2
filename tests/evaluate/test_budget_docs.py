"""docs/budgets.md can't rot: every ``[alerts.burn_rate]`` key is in its tables, and the
default rules it lists per target window are the code's."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicelevel.config.burn_rate import BurnRateSettings, BurnRule
from servicelevel.evaluate.burn import default_rules
from servicelevel.reports.text import format_duration

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "budgets.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    start = DOCS.index(heading)
    following = DOCS.find("\n### ", start + len(heading))
    return DOCS[start : following if following >= 0 else None]


@pytest.mark.parametrize(
    ("model", "heading"),
    [(BurnRateSettings, "### `[alerts.burn_rate]`"), (BurnRule, "### `[[alerts.burn_rate.rule]]`")],
)
def test_every_key_is_documented_in_its_table(model, heading):
    section = _section(heading)
    for name, info in model.model_fields.items():
        assert f"| `{info.alias or name}` |" in section, f"{heading} {name} is not documented"


def _minutes(m: float) -> str:
    from datetime import timedelta

    return format_duration(timedelta(minutes=m))


@pytest.mark.parametrize("window", ["day", "week", "month"])
def test_the_default_rules_table_is_the_codes(window):
    row = next(line for line in DOCS.splitlines() if line.startswith(f"| `{window}` |"))
    for rule in default_rules(window):
        listed = (
            f"`{rule.name}` {_minutes(rule.long_minutes)} / {_minutes(rule.short_minutes)}, "
            f"{rule.factor}x, {_minutes(rule.for_minutes)}"
        )
        assert listed in row, (listed, row)
    assert row.count("`") == 2 * (1 + len(default_rules(window)))
