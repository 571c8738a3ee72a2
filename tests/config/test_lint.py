"""Warnings (issue 12, finding 7): valid values that are surely not meant, located like errors."""

from __future__ import annotations

from pathlib import Path

from servicelevel.config import parse_targets
from servicelevel.config.lint import unseen_queue_warnings

SEED = (Path(__file__).resolve().parents[2] / "targets.toml").read_text(encoding="utf-8")
SL = "minimum = 80     # %\nideal = 90       # %\nmin_volume = 20"


def edited(old: str, new: str, text: str = SEED) -> str:
    assert text.count(old) == 1, f"seed should contain {old!r} exactly once"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_percentage_written_as_a_fraction_is_a_warning_that_says_what_was_meant():
    """minimum = 0.8 made every window "ideal"; it loads (0.8 % is valid) but is flagged."""
    text = edited(SL, "minimum = 0.8\nideal = 0.9\nmin_volume = 20")
    result = parse_targets(text)
    assert result.ok and result.errors == []
    (warning,) = result.warnings
    assert warning.is_warning
    assert (warning.line, warning.key) == (line_of(text, "minimum = 0.8"), "target[1].minimum")
    assert "did you mean minimum = 80 and ideal = 90?" in warning.message
    assert str(warning).startswith(f"targets.toml:{warning.line}: warning: target[1].minimum: ")


def test_a_lower_is_better_rate_as_a_fraction_is_flagged_too():
    text = edited("minimum = 8      # % at most\nideal = 3", "minimum = 0.08\nideal = 0.03")
    (warning,) = parse_targets(text).warnings
    assert warning.key == "target[3].minimum"
    assert "did you mean minimum = 8 and ideal = 3?" in warning.message


def test_seconds_below_one_and_the_seed_policy_give_no_warning():
    assert parse_targets(SEED).warnings == []
    text = edited("minimum = 60     # seconds at most\nideal = 20", "minimum = 0.9\nideal = 0.5")
    assert parse_targets(text).warnings == []


def test_a_queue_the_database_never_saw_is_a_warning_with_the_nearest_name():
    text = edited('queues = ["*"]\nper_queue = false\nwindow = "15min"',
                  'queues = ["salse", "support"]\nper_queue = false\nwindow = "15min"')  # fmt: skip
    targets = parse_targets(text).unwrap()
    (warning,) = unseen_queue_warnings(targets, ["sales", "support"], text, "t.toml", "the db")
    assert (warning.line, warning.key) == (line_of(text, '"salse"'), "target[2].queues")
    assert (
        warning.message == 'queue "salse" has no calls in the db; its known queues: sales, support'
    )
    assert warning.suggestion == "sales"
    assert str(warning).endswith('(did you mean "sales"?)')
