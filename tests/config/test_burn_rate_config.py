"""``[alerts.burn_rate]``: rules as written, and every mistake located at its line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from servicelevel.cli import main
from servicelevel.config import parse_targets
from servicelevel.config.delivery import report_settings

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "targets.toml").read_text(encoding="utf-8")

GOOD = """
[alerts]
webhook_url = "https://chat.example.com/hooks/abc"

[alerts.burn_rate]
targets = ["answer-20s"]
min_volume = 10

[[alerts.burn_rate.rule]]
name = "fast"
severity = "critical"
long_minutes = 60
short_minutes = 15
factor = 3
windows = ["day"]
"""


def _settings(extra: str):
    text = SEED + extra
    result = parse_targets(text)
    assert result.ok, result.errors
    return report_settings(result.unwrap(), text), text


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_rules_are_read_as_written():
    settings, _ = _settings(GOOD)
    assert settings.issues == []
    burn = settings.alerts.burn_rate
    [rule] = burn.rules
    assert (rule.name, rule.severity, rule.long_minutes, rule.short_minutes, rule.factor) == (
        "fast",
        "critical",
        60,
        15,
        3,
    )
    assert rule.keep_firing_minutes is None and rule.windows == ["day"]
    assert burn.min_volume == 10 and burn.watches("answer-20s", alerts_watch=False)
    assert not burn.watches("abandon-rate", alerts_watch=True)


def test_without_rules_the_defaults_apply_and_targets_follow_alerts():
    settings, _ = _settings('\n[alerts]\ntargets = ["answer-20s"]\n\n[alerts.burn_rate]\n')
    burn = settings.alerts.burn_rate
    assert burn.rules is None and burn.targets is None
    assert burn.watches("answer-20s", settings.alerts.watches("answer-20s"))
    assert not burn.watches("abandon-rate", settings.alerts.watches("abandon-rate"))


def test_a_window_off_the_quarter_hour_is_located():
    settings, text = _settings(GOOD.replace("short_minutes = 15", "short_minutes = 5"))
    [issue] = settings.issues
    assert issue.key == "alerts.burn_rate.rule[1].short_minutes"
    assert issue.line == _line(text, "short_minutes = 5")
    assert "whole number of quarter hours" in issue.message and "got 5" in issue.message


def test_a_long_window_not_longer_than_the_short_one_is_refused():
    settings, _ = _settings(GOOD.replace("long_minutes = 60", "long_minutes = 15"))
    [issue] = settings.issues
    assert issue.key.startswith("alerts.burn_rate.rule[1]")
    assert "must be longer than short_minutes" in issue.message


def test_typos_suggest_the_nearest_word():
    typos = GOOD.replace('"critical"', '"critcal"').replace('["day"]', '["dya"]')
    settings, text = _settings(typos)
    found = {i.key: i for i in settings.issues}
    assert found["alerts.burn_rate.rule[1].severity"].suggestion == "critical"
    assert found["alerts.burn_rate.rule[1].windows"].suggestion == "day"
    assert found["alerts.burn_rate.rule[1].severity"].line == _line(text, '"critcal"')


def test_an_unknown_target_and_a_zero_factor_come_back_together():
    settings, text = _settings(
        GOOD.replace('targets = ["answer-20s"]', 'targets = ["answer-2s"]').replace(
            "factor = 3", "factor = 0"
        )
    )
    found = {i.key: i for i in settings.issues}
    assert found["alerts.burn_rate.targets[1]"].suggestion == "answer-20s"
    assert found["alerts.burn_rate.rule[1].factor"].line == _line(text, "factor = 0")


def test_targets_check_reports_a_burn_rule_mistake(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(SEED + GOOD.replace("long_minutes = 60", "long_minutes = 50"), "utf-8")
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert "alerts.burn_rate.rule[1].long_minutes" in result.output


def test_targets_check_warns_of_a_factor_no_target_can_reach(tmp_path):
    # answer-20s has an 80 % minimum: at most 5x (every call late), so 14x applies as 3x.
    path = tmp_path / "targets.toml"
    path.write_text(SEED + GOOD.replace("factor = 3", "factor = 14"), "utf-8")
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 0, result.output
    text = SEED + GOOD.replace("factor = 3", "factor = 14")
    assert (
        f"targets.toml:{_line(text, 'factor = 14')}: warning: alerts.burn_rate.rule[1].factor: "
        'factor 14 can never be reached by "answer-20s" (at most 5x: 3x), every contact '
        "missed" in result.output
    )
    assert "1 warning(s)" in result.output
    strict = CliRunner().invoke(main, ["targets", "check", "--strict", str(path)])
    assert strict.exit_code == 2
