"""``[alerts.burn_rate]`` in targets.toml: multi-window, multi-burn-rate alerts on error budgets.

A burn rate is how fast a window's error budget is being spent: the miss rate over a trailing
stretch of time divided by the miss rate the minimum allows (1 = on pace to spend exactly the
budget by the window's end). A rule fires when its long and its short window both burn faster
than its factor (docs/budgets.md). Leave the rules out for the defaults, scaled to each target's
window (:func:`servicelevel.evaluate.burn.default_rules`)::

    [alerts.burn_rate]
    targets = ["*"]            # target ids (default: every rate [alerts] watches)

    [[alerts.burn_rate.rule]]  # optional: these replace the defaults
    name = "fast"
    severity = "critical"      # "critical" or "warning"
    long_minutes = 60          # whole quarter hours: calls are counted per 15 minutes
    short_minutes = 15
    factor = 3
    windows = ["day"]          # target windows the rule applies to (default: all)

Why under ``[alerts]``: burn alerts go out through the same email recipients and webhook, and
are claimed and sent by the same job as the breach alerts. Mistakes come back located like
the rest of the file (``targets.toml:52: alerts.burn_rate.rule[0].short_minutes: ...``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from servicelevel.config.issues import _choice, _fail, _fmt
from servicelevel.config.models import WINDOWS

QUARTER = 15  # minutes: the rollups' interval, so a burn window is whole intervals
Severity = Literal["critical", "warning"]


class _Section(BaseModel):
    # As the other delivery tables: no nan/inf (a factor of nan would never compare).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


def _quarters(value: float, what: str) -> float:
    if value <= 0 or value % QUARTER:
        raise _fail(
            f"{what} must be a whole number of quarter hours (15, 30, 45, 60...), since calls "
            f"are counted per 15 minutes; got {_fmt(value)}"
        )
    return value


class BurnRule(_Section):
    """[[alerts.burn_rate.rule]]: fire when both windows burn faster than ``factor``."""

    name: str = Field(min_length=1, max_length=40, description="name shown in alerts")
    severity: Severity = Field("warning", description='"critical" or "warning"')
    long_minutes: float = Field(description="the long window, in minutes", strict=True)
    short_minutes: float = Field(description="the short window, in minutes", strict=True)
    factor: float = Field(gt=0, description="burn rate both windows must exceed", strict=True)
    for_minutes: float = Field(
        0, ge=0, description="the burn must last this long before the alert fires", strict=True
    )
    keep_firing_minutes: float | None = Field(
        None,
        ge=0,
        description="the burn must be over this long before it resolves (default: short window)",
        strict=True,
    )
    windows: list[str] = Field(
        default_factory=lambda: list(WINDOWS), description="target windows the rule applies to"
    )

    @field_validator("severity", mode="before")
    @classmethod
    def _known_severity(cls, value: object) -> str:
        return _choice(value, ("critical", "warning"), "severity")

    @field_validator("long_minutes")
    @classmethod
    def _long_quarters(cls, value: float) -> float:
        return _quarters(value, "long_minutes")

    @field_validator("short_minutes")
    @classmethod
    def _short_quarters(cls, value: float) -> float:
        return _quarters(value, "short_minutes")

    @field_validator("windows")
    @classmethod
    def _known_windows(cls, value: list[str]) -> list[str]:
        if not value:
            raise _fail(f"expected at least one of {', '.join(WINDOWS)}")
        return [_choice(v, WINDOWS, "window") for v in value]

    @model_validator(mode="after")
    def _long_after_short(self) -> BurnRule:
        if self.long_minutes <= self.short_minutes:
            raise _fail(
                f"long_minutes ({_fmt(self.long_minutes)}) must be longer than short_minutes "
                f"({_fmt(self.short_minutes)}): the long window says the burn is real, the "
                "short one that it is still going on"
            )
        return self


class BurnRateSettings(_Section):
    """[alerts.burn_rate]: which targets, the rules (default: scaled to each target's window)."""

    targets: list[str] | None = Field(
        None, description="target ids watched (default: those [alerts] watches)"
    )
    rules: list[BurnRule] | None = Field(
        None, alias="rule", description="rules replacing the defaults"
    )
    min_volume: int | None = Field(
        None,
        ge=0,
        description="a window with fewer contacts says nothing (default: the target's)",
        strict=True,
    )

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, value: list[BurnRule] | None) -> list[BurnRule] | None:
        seen: set[str] = set()
        for i, rule in enumerate(value or []):
            if rule.name in seen:
                raise _fail(f'rule name "{rule.name}" is used twice', at=(i, "name"))
            seen.add(rule.name)
        return value

    def watches(self, target_id: str, alerts_watch: bool) -> bool:
        if self.targets is None:
            return alerts_watch
        return "*" in self.targets or target_id in self.targets
