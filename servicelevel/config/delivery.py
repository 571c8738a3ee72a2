"""``[report.*]`` and ``[alerts]`` in targets.toml: the weekly email, the mail server, the alerts.

Why a module of its own: ``config.Targets`` keeps these sections as plain tables, so a
targets file stays loadable by features that don't send anything. The scheduler, the report
and the alerts read them through :func:`report_settings`, which returns either the typed
settings or located issues (``targets.toml:40: report.weekly.day: ...``) like the rest of
the file. Secrets never live in the file: the SMTP password comes from the environment
(``SERVICELEVEL_SMTP_PASSWORD``, or a file named by ``SERVICELEVEL_SMTP_PASSWORD_FILE``).

Example::

    [report.smtp]
    host = "smtp.example.com"
    port = 587
    security = "starttls"          # "starttls", "ssl" or "none"
    username = "servicelevel@example.com"
    from = "Service level <servicelevel@example.com>"

    [report.weekly]
    day = "monday"
    time = "07:00"
    to = ["head.of.service@example.com"]

    [alerts]
    to = ["supervisors@example.com"]
    webhook_url = "https://chat.example.com/hooks/abc"
    hold_minutes = 15
    recovery_margin = 2
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from servicelevel.config.burn_rate import BurnRateSettings
from servicelevel.config.issues import ConfigIssue, _fail, _suggest
from servicelevel.config.models import DAYS, Targets
from servicelevel.config.translate import located_issue, validation_issues

PASSWORD_ENV = "SERVICELEVEL_SMTP_PASSWORD"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_NAMED_EMAIL = re.compile(r"^[^<>]*<([^<>]+)>$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


class _Section(BaseModel):
    # No nan/inf: a hold of inf minutes overflows later, when the alerts run, not here.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


def _address(value: str) -> str:
    """An address, bare (``a@b.org``) or with a name (``Support <a@b.org>``)."""
    text = value.strip()
    named = _NAMED_EMAIL.match(text)
    bare = named[1].strip() if named else text
    if not _EMAIL.match(bare):
        raise _fail(f'"{value}" is not an email address; expected e.g. "team@example.com"')
    return text


Address = Annotated[str, AfterValidator(_address)]


class SmtpSettings(_Section):
    """[report.smtp]: the mail server used by the weekly report and the email alerts."""

    host: str = Field(min_length=1, description="mail server name")
    # Strict: "587" or true is a mistake in the file, not a number (as in the targets).
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="port (default 587 starttls, 465 ssl, 25 none)",
        strict=True,
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description='"starttls", "ssl" (implicit TLS) or "none"'
    )
    username: str | None = Field(None, description="login; the password comes from the env")
    sender: Address = Field(alias="from", description="From: address, e.g. SL <sl@example.com>")
    timeout_seconds: float = Field(30, gt=0, description="network timeout in seconds", strict=True)

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]

    def password(self) -> str | None:
        """From ``$SERVICELEVEL_SMTP_PASSWORD`` or the file ``$..._FILE`` names; never the toml."""
        if value := os.environ.get(PASSWORD_ENV):
            return value
        if path := os.environ.get(f"{PASSWORD_ENV}_FILE"):
            return Path(path).read_text(encoding="utf-8").strip()
        return None


class WeeklySettings(_Section):
    """[report.weekly]: when the weekly summary goes out and to whom."""

    day: str = Field("monday", description="weekday it is sent, local time")
    time: str = Field("07:00", description='"HH:MM", 24-hour local time')
    to: list[Address] = Field(min_length=1, description="recipients")
    subject: str | None = Field(None, min_length=1, description="subject line prefix")

    @field_validator("day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()
        if day not in DAYS:
            raise _fail(
                f'unknown day "{value}"; expected one of {", ".join(DAYS)}', _suggest(day, DAYS)
            )
        return day

    @field_validator("time")
    @classmethod
    def _clock(cls, value: str) -> str:
        m = _HHMM.match(value.strip())
        if m is None or int(m[1]) > 23 or int(m[2]) > 59:
            raise _fail(f'"{value}" is not a time; expected "HH:MM", e.g. "07:00"')
        return f"{int(m[1]):02d}:{m[2]}"

    @property
    def weekday(self) -> int:
        return DAYS.index(self.day)

    @property
    def hour_minute(self) -> tuple[int, int]:
        hours, minutes = self.time.split(":")
        return int(hours), int(minutes)


class ReportSettings(_Section):
    """[report]: its sub-tables."""

    smtp: SmtpSettings | None = Field(None, description="mail server")
    weekly: WeeklySettings | None = Field(None, description="weekly summary email")


class AlertSettings(_Section):
    """[alerts]: breach and recovery messages, held back until a change is real."""

    to: list[Address] = Field(default_factory=list, description="email recipients")
    webhook_url: str | None = Field(None, description="JSON POST to this address")
    targets: list[str] = Field(default_factory=lambda: ["*"], description="target ids watched")
    hold_minutes: float = Field(
        15,
        ge=0,
        description="a breach (or a recovery) must last this long before a message",
        strict=True,
    )
    hold_windows: int = Field(
        1,
        ge=1,
        description="and be seen in at least this many of the target's windows",
        strict=True,
    )
    recovery_margin: float = Field(
        2, ge=0, description="recovered only this far on the good side of the minimum", strict=True
    )
    digest_after: int = Field(
        3, ge=2, description="this many changes at once are sent as one digest", strict=True
    )
    check_every_minutes: float = Field(
        1, gt=0, description="how often targets are checked", strict=True
    )
    burn_rate: BurnRateSettings | None = Field(
        None, description="error-budget burn-rate alerts (docs/budgets.md)"
    )

    @field_validator("webhook_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise _fail(f'expected a web address starting with https://, got "{value}"')
        return value

    def watches(self, target_id: str) -> bool:
        return "*" in self.targets or target_id in self.targets


@dataclass
class Settings:
    """Everything the report, the alerts and the scheduler read from targets.toml."""

    report: ReportSettings = field(default_factory=ReportSettings)
    alerts: AlertSettings | None = None
    issues: list[ConfigIssue] = field(default_factory=list)

    @property
    def smtp(self) -> SmtpSettings | None:
        return self.report.smtp

    @property
    def weekly(self) -> WeeklySettings | None:
        return self.report.weekly


def _source(targets: Targets, text: str | None) -> tuple[str, str]:
    """(file name, file text) for locating issues."""
    path = targets.path
    filename = str(path) if path is not None else "targets.toml"
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig") if path is not None else ""
        except OSError:
            text = ""
    return filename, text


def report_settings(targets: Targets, text: str | None = None) -> Settings:
    """Typed ``[report]`` and ``[alerts]``; problems come back in ``Settings.issues``.

    ``text`` is the targets file's text, read from ``targets.path`` when not given; it is
    only used to put line numbers on the issues.
    """
    filename, text = _source(targets, text)
    ids = [t.id for t in targets.targets]
    return delivery_settings(targets.report, targets.alerts, ids, filename, text)


def delivery_settings(
    report: dict[str, Any] | None,
    alerts: dict[str, Any] | None,
    target_ids: Sequence[str],
    filename: str,
    text: str,
) -> Settings:
    """`report_settings` from the raw tables, for a file whose targets did not validate.

    ``targets check`` uses it to report these sections' mistakes in the same pass as the
    targets' own; ``target_ids`` are the ids written in the file, to check ``alerts.targets``.
    """
    settings = Settings()
    try:
        settings.report = ReportSettings.model_validate(report or {})
    except ValidationError as exc:
        settings.issues += validation_issues(exc, text, filename, ReportSettings, ("report",))
    if alerts is not None:
        try:
            settings.alerts = AlertSettings.model_validate(alerts)
        except ValidationError as exc:
            settings.issues += validation_issues(exc, text, filename, AlertSettings, ("alerts",))
        # Checked even when another [alerts] key is wrong: every mistake in one pass.
        watched = settings.alerts.targets if settings.alerts else alerts.get("targets")
        burn = alerts.get("burn_rate")
        burning = burn.get("targets") if isinstance(burn, dict) else None
        known = sorted(set(target_ids))
        for key, ids in ((("alerts",), watched), (("alerts", "burn_rate"), burning)):
            for i, target_id in enumerate(ids if isinstance(ids, list) else []):
                if isinstance(target_id, str) and target_id != "*" and target_id not in known:
                    settings.issues.append(
                        located_issue(text, filename, (*key, "targets", i),
                                      f'no target with id "{target_id}"',
                                      _suggest(target_id, known))
                    )  # fmt: skip
    emails = ("alerts", "to") if settings.alerts and settings.alerts.to else ("report", "weekly")
    needs_smtp = settings.report.weekly is not None or emails[0] == "alerts"
    report_failed = any(i.key.startswith("report") for i in settings.issues)
    if needs_smtp and settings.report.smtp is None and not report_failed:
        settings.issues.append(
            located_issue(
                text, filename, emails,
                "emails are configured but no mail server: add a [report.smtp] table with "
                'host and from (e.g. host = "smtp.example.com")',
            )
        )  # fmt: skip
    settings.issues.sort(key=lambda i: (i.line is None, i.line or 0))
    return settings
