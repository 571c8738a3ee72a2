"""[report.*] and [alerts] in targets.toml: typed, with located errors, secrets from env only."""

from __future__ import annotations

import re

from weekdata import TARGETS_TOML

from servicelevel.config import parse_targets
from servicelevel.config.delivery import report_settings

MAIL = """
[report.smtp]
host = "smtp.example.com"
security = "ssl"
username = "servicelevel@example.com"
from = "Service level <servicelevel@example.com>"

[report.weekly]
day = "Monday"
time = "7:30"
to = ["head.of.service@example.com"]

[alerts]
to = ["supervisors@example.com"]
webhook_url = "https://chat.example.com/hooks/abc"
"""


def settings_of(extra: str):
    text = TARGETS_TOML + extra
    result = parse_targets(text)
    assert result.ok, result.errors
    return report_settings(result.targets, text), text


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_complete_mail_setup_is_read_with_defaults():
    settings, _ = settings_of(MAIL)
    assert settings.issues == []
    assert settings.smtp.effective_port == 465
    assert settings.weekly.day == "monday" and settings.weekly.hour_minute == (7, 30)
    assert settings.alerts.hold_minutes == 15 and settings.alerts.recovery_margin == 2
    assert settings.alerts.watches("asa")


def test_mistakes_come_back_with_file_line_key_and_suggestion():
    settings, text = settings_of(
        MAIL.replace('day = "Monday"', 'day = "mondey"')
        .replace('security = "ssl"', 'security = "tls"')
        .replace('time = "7:30"', 'tiem = "7:30"')
        .replace('to = ["head.of.service@example.com"]', 'to = ["head of service"]')
    )
    shown = {i.key: i for i in settings.issues}
    assert str(shown["report.weekly.day"]) == (
        f'targets.toml:{line_of(text, "mondey")}: report.weekly.day: unknown day "mondey"; '
        "expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday "
        '(did you mean "monday"?)'
    )
    assert shown["report.weekly.tiem"].suggestion == "time"
    assert shown["report.weekly.tiem"].line == line_of(text, "tiem")
    assert shown["report.smtp.security"].line == line_of(text, 'security = "tls"')
    assert "not an email address" in shown["report.weekly.to[1]"].message


def test_the_password_is_never_read_from_the_file(monkeypatch, tmp_path):
    settings, _ = settings_of(MAIL.replace('username = "', 'password = "hunter2"\nusername = "'))
    [issue] = settings.issues
    assert issue.key == "report.smtp.password" and "unknown key" in issue.message

    settings, _ = settings_of(MAIL)
    monkeypatch.delenv("SERVICELEVEL_SMTP_PASSWORD", raising=False)
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SERVICELEVEL_SMTP_PASSWORD_FILE", str(secret))
    assert settings.smtp.password() == "from-a-file"
    monkeypatch.setenv("SERVICELEVEL_SMTP_PASSWORD", "from-the-env")
    assert settings.smtp.password() == "from-the-env"


def test_emails_without_a_mail_server_and_unknown_alert_targets_are_reported():
    settings, text = settings_of('\n[alerts]\nto = ["a@example.com"]\ntargets = ["asap"]\n')
    by_key = {i.key: i for i in settings.issues}
    assert by_key["alerts.targets[1]"].suggestion == "asa"
    assert "no mail server" in by_key["alerts.to"].message
    assert by_key["alerts.to"].line == line_of(text, 'to = ["a@example.com"]')


# --- one wording for one mistake, wherever it is made -------------------------------------

# The same three mistakes made in a [[target]], in [report.*] and in [alerts]: each must
# read the same way, since config/translate.py words every section's validation errors.
SAME_MISTAKES = """
[report.smtp]
host = "smtp.example.com"
from = "Service level <servicelevel@example.com>"
port = "abc"
timeout_seconds = "soon"

[report.weekly]
tiem = "7:30"
to = ["head.of.service@example.com"]

[alerts]
hold_minuts = 5
hold_windows = "two"
hold_minutes = "long"
recovery_margin = -1
"""


def _with_target_mistakes(text: str) -> str:
    """The "asa" target of weekdata with a misspelt key, a string for numbers, a bad count."""
    asa = 'id = "asa"\nname = "Average speed of answer"\nkpi = "asa"\nwindow = "day"\n'
    assert asa in text
    return text.replace(
        asa + "minimum = 60\nideal = 20\nmin_volume = 20\n",
        asa + 'minimum = "sixty"\nideal = 20\nmin_volume = -3\nmin_volum = 20\n',
    )


def _issues_of_every_section() -> tuple[dict[str, str], str]:
    text = _with_target_mistakes(TARGETS_TOML) + SAME_MISTAKES
    target_issues = parse_targets(text).errors
    assert target_issues, "the target's mistakes must be found"
    # The delivery sections of the same file, read from its raw tables like `targets check`.
    valid = parse_targets(TARGETS_TOML + SAME_MISTAKES)
    assert valid.ok, valid.errors
    delivery = report_settings(valid.targets, text).issues
    return {i.key: str(i) for i in [*target_issues, *delivery]}, text


def test_a_misspelt_key_reads_the_same_in_a_target_in_report_and_in_alerts():
    shown, text = _issues_of_every_section()
    target = next(k for k in shown if k.endswith(".min_volum"))
    cases = [
        (target, "min_volum", "min_volume"),
        ("report.weekly.tiem", "tiem", "time"),
        ("alerts.hold_minuts", "hold_minuts", "hold_minutes"),
    ]
    for key, typo, right in cases:
        pattern = (
            rf"^targets\.toml:{line_of(text, typo + ' =')}: {re.escape(key)}: "
            rf'unknown key "{typo}"; expected one of [a-z_, ]+ \(did you mean "{right}"\?\)$'
        )
        assert re.match(pattern, shown[key]), shown[key]


def test_text_where_a_number_is_expected_reads_the_same_everywhere():
    shown, _ = _issues_of_every_section()
    target = next(k for k in shown if k.endswith(".minimum"))
    assert shown[target].endswith(f'{target}: expected a number, got "sixty"')
    assert shown["report.smtp.timeout_seconds"].endswith(
        'report.smtp.timeout_seconds: expected a number, got "soon"'
    )
    assert shown["alerts.hold_minutes"].endswith(
        'alerts.hold_minutes: expected a number, got "long"'
    )
    # whole numbers likewise
    assert shown["report.smtp.port"].endswith('expected a whole number, got "abc"')
    assert shown["alerts.hold_windows"].endswith('expected a whole number, got "two"')


def test_a_number_out_of_range_reads_the_same_everywhere():
    shown, text = _issues_of_every_section()
    target = next(k for k in shown if k.endswith(".min_volume"))
    assert shown[target] == (
        f"targets.toml:{line_of(text, 'min_volume = -3')}: {target}: expected 0 or more, got -3"
    )
    assert shown["alerts.recovery_margin"] == (
        f"targets.toml:{line_of(text, 'recovery_margin = -1')}: alerts.recovery_margin: "
        "expected 0 or more, got -1"
    )


def test_a_value_outside_a_fixed_list_is_worded_like_a_targets_choice():
    settings, text = settings_of(MAIL.replace('security = "ssl"', 'security = "SSL"'))
    [issue] = settings.issues
    assert str(issue) == (
        f"targets.toml:{line_of(text, 'security =')}: report.smtp.security: unknown security "
        '"SSL"; expected one of starttls, ssl, none (did you mean "ssl"?)'
    )
    # as `kpi = "abandon_rat"` is in a target: unknown <what> "<value>"; expected one of ...
    bad = parse_targets(TARGETS_TOML.replace('kpi = "asa"', 'kpi = "ASA"')).errors
    [kpi] = bad
    assert kpi.message.startswith('unknown KPI "ASA"; expected one of ')
    assert kpi.suggestion == "asa"
