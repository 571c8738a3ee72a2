"""[report.*] and [alerts] in targets.toml: typed, with located errors, secrets from env only."""

from __future__ import annotations

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
