"""Strict values and one pass (issue 12, finding 7): a number written as text, a boolean as a
word, is refused at its line with how to write it; a duplicate id is reported with the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicelevel.config import parse_targets

SEED = (Path(__file__).resolve().parents[2] / "targets.toml").read_text(encoding="utf-8")


def edited(old: str, new: str, text: str = SEED) -> str:
    assert text.count(old) == 1, f"seed should contain {old!r} exactly once"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


# (edit of the seed, the located key, the message). Each of these loaded before: pydantic's lax
# mode took "80" as 80.0, "yes" and 1 as true, true as 1, and 20.0 as the whole number 20.
QUOTED = [
    (
        (
            "minimum = 80     # %\nideal = 90       # %\nmin_volume = 20",
            'minimum = "80"\nideal = 90\nmin_volume = 20',
        ),
        "target[1].minimum",
        'expected a number, got "80"; write minimum = 80, without quotes',
    ),
    (
        ("minimum = 8      # % at most", 'minimum = "8 %"'),
        "target[3].minimum",
        'expected a number, got "8 %"; write minimum = 8, without quotes',
    ),
    (
        (
            'per_queue = true\nwindow = "day"\nminimum = 80',
            'per_queue = "yes"\nwindow = "day"\nminimum = 80',
        ),
        "target[1].per_queue",
        'expected true or false, got "yes"; write per_queue = true, without quotes',
    ),
    (
        ('per_queue = false\nwindow = "15min"', 'per_queue = 0\nwindow = "15min"'),
        "target[2].per_queue",
        "expected true or false, got 0; write per_queue = false",
    ),
    (
        ("ideal = 20       # seconds", "ideal = true"),
        "target[4].ideal",
        "expected a number, got true",
    ),
    (
        ("min_volume = 5   # respondents", 'min_volume = "5"'),
        "target[7].min_volume",
        'expected a whole number, got "5"; write min_volume = 5, without quotes',
    ),
    (
        ("min_volume = 1   # calls", "min_volume = 1.0"),
        "target[5].min_volume",
        "expected a whole number, got 1.0; write min_volume = 1",
    ),
    (
        ("threshold_seconds = 20\n# How", 'threshold_seconds = "20"\n# How'),
        "target[1].threshold_seconds",
        'expected a number, got "20"; write threshold_seconds = 20, without quotes',
    ),
    (
        ("short_abandon_seconds = 5", 'short_abandon_seconds = "5"'),
        "operation.short_abandon_seconds",
        'expected a number, got "5"; write short_abandon_seconds = 5, without quotes',
    ),
    (
        ("stale_after_minutes = 15", "stale_after_minutes = false"),
        "operation.stale_after_minutes",
        "expected a number, got false",
    ),
    (
        ("refresh_seconds = 10", 'refresh_seconds = "10"'),
        "operation.refresh_seconds",
        'expected a whole number, got "10"; write refresh_seconds = 10, without quotes',
    ),
]


@pytest.mark.parametrize(("edit", "key", "message"), QUOTED, ids=lambda v: str(v)[:40])
def test_a_number_or_boolean_written_otherwise_is_refused_at_its_line(edit, key, message):
    text = edited(*edit)
    result = parse_targets(text)
    assert result.targets is None
    assert [(e.key, e.message) for e in result.errors] == [(key, message)]
    assert result.errors[0].line == line_of(text, edit[1].splitlines()[0])


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("alerts", "hold_minutes", '"15"', 'expected a number, got "15"'),
        ("alerts", "digest_after", "true", "expected a whole number, got true"),
    ],
)
def test_delivery_numbers_are_strict_too(table, key, value, message):
    from servicelevel.config.delivery import report_settings

    text = SEED + f"\n[{table}]\n{key} = {value}\n"
    targets = parse_targets(text).unwrap()
    issues = report_settings(targets).issues
    assert [i.key for i in issues] == [f"{table}.{key}"]
    assert issues[0].message.startswith(message)


def test_a_duplicate_id_is_reported_together_with_the_other_errors():
    """Before, the duplicate came to light only once every other mistake had been fixed."""
    text = edited('id = "abandon-rate"', 'id = "answer-20s"')
    text = edited('kpi = "asa"', 'kpi = "asaa"', text)
    text = edited("minimum = 80     # %\nideal = 90       # %\nmin_volume = 20",
                  'minimum = "80"\nideal = 90\nmin_volume = 20', text)  # fmt: skip
    result = parse_targets(text)
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == 'id = "answer-20s"'][1]
    assert [(e.line, e.key) for e in result.errors] == [
        (line_of(text, 'minimum = "80"'), "target[1].minimum"),
        (second, "target[3].id"),
        (line_of(text, 'kpi = "asaa"'), "target[4].kpi"),
    ]
    assert 'id "answer-20s" is already used by target[1]' in result.errors[1].message


def test_two_duplicates_are_both_reported():
    text = edited('id = "abandon-rate"', 'id = "answer-20s"')
    text = edited('id = "asa"', 'id = "answer-20s-now"', text)
    keys = [e.key for e in parse_targets(text).errors]
    assert keys == ["target[3].id", "target[4].id"]
