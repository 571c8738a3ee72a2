"""targets.toml as pydantic models: the operation, business hours and the targets.

The reference is docs/targets.md; every key has a description (it is the missing-key hint).
"""

from __future__ import annotations

import datetime
import re
import threading
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

import holidays as holidays_lib
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from servicelevel.config.issues import _choice, _fail, _fmt, _show, _suggest, with_more_errors
from servicelevel.kpi.registry import KPIS, KpiDefinition, KpiName, call_kpi_names

WINDOWS = ("15min", "hour", "day", "week", "month")
ABANDONS = ("miss", "ignore", "success_within_t")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Window = Literal["15min", "hour", "day", "week", "month"]
Abandons = Literal["miss", "ignore", "success_within_t"]

# TOML integers are 64-bit: a bigger one would load here (tomlkit keeps Python ints) but not
# in another TOML reader, nor in a database column.
TOML_INT_MAX = 2**63 - 1

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


# --- the models ------------------------------------------------------------------------


class _Section(BaseModel):
    # allow_inf_nan=False: TOML has nan and inf, and pydantic takes them (and "nan" as text)
    # for a float by default; no target, time or count can be one, and a NaN minimum would
    # crash every evaluation later, far from the line that caused it.
    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, allow_inf_nan=False
    )


class Operation(_Section):
    """[operation]: who we are and how the whole operation is measured."""

    name: str = Field("Customer service", min_length=1, description="name shown on screens")
    timezone: str = Field("UTC", description="IANA time zone name, e.g. Europe/Paris")
    # Strict numbers (here and in Target): lax pydantic took minimum = "80" and per_queue = "yes"
    # (and true as 1), so a quoted value passed `targets check`; TOML has real numbers and
    # booleans, and a value written as text is a mistake worth its line.
    short_abandon_seconds: float = Field(
        5,
        ge=0,
        description="calls abandoned sooner than this many seconds are short abandons",
        strict=True,
    )
    stale_after_minutes: float = Field(
        15, gt=0, description="minutes of silence before a source's figures are stale", strict=True
    )
    refresh_seconds: int = Field(
        10, ge=2, le=TOML_INT_MAX, description="dashboard auto-refresh in seconds", strict=True
    )
    dashboard_url: str | None = Field(None, description="link to the dashboard put in emails")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:  # ZoneInfoNotFoundError, or ValueError for names like "../x"
            raise _fail(
                f"unknown time zone {_show(value)}; expected an IANA name such as "
                '"Europe/Paris" or "America/New_York"',
                _suggest(value, available_timezones()),
            ) from None
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise _fail(f"expected a web address starting with https://, got {_show(value)}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse_time(value: object, *, is_close: bool) -> datetime.time:
    if isinstance(value, datetime.time):
        value = value.strftime("%H:%M") if not (value.second or value.microsecond) else str(value)
    m = _HHMM.match(value) if isinstance(value, str) else None
    if m is None or int(m[1]) > 24 or int(m[2]) > 59 or (int(m[1]) == 24 and int(m[2])):
        raise _fail(f'{_show(value)} is not a time; expected "HH:MM" in 24-hour form, e.g. "07:30"')
    hours, minutes = int(m[1]), int(m[2])
    if minutes % 15:
        nearest = round((hours * 60 + minutes) / 15) * 15
        raise _fail(
            f"{_show(value)} is not on a quarter hour; opening hours must use :00, :15, :30 "
            "or :45 because calls are counted in 15-minute intervals",
            f"{nearest // 60:02d}:{nearest % 60:02d}",
        )
    if hours == 24:
        if not is_close:
            raise _fail('"24:00" can only be a closing time; use "00:00" to open at midnight')
        return datetime.time.max  # closes at the end of the day
    return datetime.time(hours, minutes)


class BusinessHours(_Section):
    """[business_hours]: when calls count. A day left out is closed."""

    monday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    tuesday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    wednesday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    thursday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    friday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    saturday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    sunday: tuple[datetime.time, datetime.time] | None = Field(None, description="open hours")
    holidays: str | None = Field(None, description="country code whose public holidays close")
    subdivision: str | None = Field(None, description="region of that country for holidays")

    _calendar: Any = PrivateAttr(default=None)

    @field_validator(*DAYS, mode="before")
    @classmethod
    def _open_close(cls, value: object) -> tuple[datetime.time, datetime.time] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _fail(
                'expected opening and closing times as ["HH:MM", "HH:MM"], e.g. '
                f'["07:30", "17:00"] (leave the day out if closed), got {_show(value)}'
            )
        opens = _parse_time(value[0], is_close=False)
        closes = _parse_time(value[1], is_close=True)
        if opens >= closes:
            raise _fail(
                f"opening time {_show(value[0])} must be before closing time "
                f'{_show(value[1])} (hours past midnight are not supported; use "24:00")'
            )
        return opens, closes

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code in holidays_lib.list_supported_countries():
            return code
        codes = holidays_lib.list_supported_countries(include_aliases=False)
        # A country's name ("France") maps to its code; otherwise take the nearest code.
        names = {name.replace("_", " "): entry[1] for name, entry in _country_registry().items()}
        by_name = _suggest(value, names)
        raise _fail(
            f"unknown holiday country {_show(value)}; expected a two-letter country code "
            'such as "FR", "GB" or "US"',
            names[by_name] if by_name else _suggest(code, codes),
        )

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "holidays" not in info.data:
            return value
        country = info.data["holidays"]
        if country is None:
            raise _fail('subdivision needs a country: set holidays = "FR" (or another code)')
        subdivisions = holidays_lib.list_supported_countries()[country]
        if value not in subdivisions:
            shown = ", ".join(subdivisions) if subdivisions else "none"
            raise _fail(
                f"unknown subdivision {_show(value)} for {country}; expected one of {shown}",
                _suggest(value, subdivisions),
            )
        return value

    def hours(self, day: datetime.date) -> tuple[datetime.time, datetime.time] | None:
        """(open, close) on that weekday, ignoring holidays; None when closed."""
        result: tuple[datetime.time, datetime.time] | None = getattr(self, DAYS[day.weekday()])
        return result

    def is_holiday(self, d: datetime.date) -> bool:
        if self.holidays is None:
            return False
        with _calendar_lock:  # the calendar fills in a year on first look-up
            if self._calendar is None:
                self._calendar = holidays_lib.country_holidays(
                    self.holidays, subdiv=self.subdivision
                )
            return d in self._calendar

    def holiday_name(self, d: datetime.date) -> str | None:
        """The public holiday's name on that day (to say why a day is closed), else None."""
        if not self.is_holiday(d):
            return None
        with _calendar_lock:
            return str(self._calendar.get(d))

    def is_open(self, local_start: datetime.datetime) -> bool:
        """Whether the 15-minute interval starting at this local wall time counts."""
        hours = self.hours(local_start.date())
        if hours is None or self.is_holiday(local_start.date()):
            return False
        opens, closes = hours
        return opens <= local_start.time() < closes


_calendar_lock = threading.Lock()


def _country_registry() -> dict[str, tuple[str, ...]]:
    registry = getattr(getattr(holidays_lib, "registry", None), "COUNTRIES", None)
    return registry if isinstance(registry, dict) else {}


class Target(_Section):
    """[[target]]: one KPI, measured over one window, with a minimum and an ideal."""

    id: str = Field(description="short unique name, e.g. answer-20s")
    name: str = Field(min_length=1, description="title shown on screens and in emails")
    kpi: KpiName = Field(description="which KPI to measure")
    threshold_seconds: float | None = Field(
        None,
        validate_default=True,
        description="service level's answer time limit T, seconds",
        strict=True,
    )
    abandons: Abandons = Field("miss", description="how service level treats abandoned calls")
    queues: list[str] = Field(default_factory=lambda: ["*"], description="queues measured")
    per_queue: bool = Field(
        False, description="one figure per queue instead of one in total", strict=True
    )
    window: Window = Field("day", description="period the KPI is computed over")
    minimum: float = Field(
        description="worst acceptable value, in the KPI's unit (% or s)", strict=True
    )
    ideal: float = Field(description="value we aim for, in the KPI's unit (% or s)", strict=True)
    min_volume: int = Field(
        1,
        ge=0,
        le=TOML_INT_MAX,
        description="fewer calls/units than this shows no data",
        strict=True,
    )

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            slug = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_")
            raise _fail(
                f"{_show(value)} is not a valid id; expected lowercase letters, digits, "
                '"-" or "_", starting with a letter or digit, e.g. "answer-20s"',
                slug or None,
            )
        return value

    # "plain": the registry, not the Literal (a static type only), decides which names exist,
    # so a KPI registered at run time (tests) validates like a built-in one.
    @field_validator("kpi", mode="plain")
    @classmethod
    def _known_kpi(cls, value: object) -> str:
        return _choice(value, tuple(KPIS), "KPI")

    @field_validator("window", mode="before")
    @classmethod
    def _known_window(cls, value: object) -> str:
        return _choice(value, WINDOWS, "window")

    @field_validator("threshold_seconds")
    @classmethod
    def _threshold_for_service_level(cls, value: float | None, info: ValidationInfo) -> Any:
        kpi = info.data.get("kpi")
        if kpi is not None and "threshold_seconds" in KPIS[kpi].options:
            if value is None:
                raise _fail(
                    f'missing required key "threshold_seconds": {kpi} needs the '
                    "answer time limit T in seconds, e.g. threshold_seconds = 20",
                    missing=True,
                )
            if value <= 0:
                raise _fail(f"must be more than 0 seconds, got {_fmt(value)}")
        elif kpi is not None and value is not None:
            raise _fail(
                f"threshold_seconds only applies to {_taking('threshold_seconds')}; "
                f"remove it for {kpi}"
            )
        return value

    # Only runs when the key is written: the default is fine for every KPI.
    @field_validator("abandons", mode="before")
    @classmethod
    def _abandons_for_service_level(cls, value: object, info: ValidationInfo) -> str:
        kpi = info.data.get("kpi")
        if kpi is not None and "abandons" not in KPIS[kpi].options:
            raise _fail(f"abandons only applies to {_taking('abandons')}; remove it for {kpi}")
        return _choice(value, ABANDONS, "abandons rule")

    @field_validator("queues")
    @classmethod
    def _queues(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value or any(not q.strip() for q in value):
            raise _fail('expected a list of queue names, or ["*"] for all queues')
        if "*" in value and len(value) > 1:
            raise _fail('"*" already means all queues; list either ["*"] or queue names')
        kpi = info.data.get("kpi")
        if kpi is not None and not KPIS[kpi].calls and value != ["*"]:
            raise _fail(
                f"queues only applies to call KPIs ({', '.join(sorted(call_kpi_names()))}); "
                f'{kpi} covers the whole operation, so leave queues out or use ["*"]'
            )
        return value

    @field_validator("per_queue")
    @classmethod
    def _per_queue(cls, value: bool, info: ValidationInfo) -> bool:
        kpi = info.data.get("kpi")
        if value and kpi is not None and not KPIS[kpi].calls:
            raise _fail(f"per_queue only applies to call KPIs; {kpi} has no queues")
        return value

    @field_validator("minimum", "ideal")
    @classmethod
    def _in_range_and_ordered(cls, value: float, info: ValidationInfo) -> float:
        kpi = info.data.get("kpi")
        if kpi is None:
            return value
        unit = KPIS[kpi].unit
        if unit == "%" and not 0 <= value <= 100:
            raise _fail(f"{kpi} is a percentage: expected 0 to 100, got {_fmt(value)}")
        if unit == "s" and value < 0:
            raise _fail(f"{kpi} is in seconds: expected 0 or more, got {_fmt(value)}")
        minimum = info.data.get("minimum")
        if info.field_name == "ideal" and minimum is not None:
            higher = KPIS[kpi].higher_is_better
            if (value < minimum) if higher else (value > minimum):
                side, way = ("above", "higher") if higher else ("below", "lower")
                raise _fail(
                    f"ideal must be at or {side} minimum because {way} is better for {kpi} "
                    f"(minimum {_fmt(minimum)}, ideal {_fmt(value)})"
                )
        return value

    @property
    def definition(self) -> KpiDefinition:
        """This target's KPI in the registry (unit, direction, sources, formula, labels)."""
        return KPIS[self.kpi]

    @property
    def higher_is_better(self) -> bool:
        return self.definition.higher_is_better

    @property
    def unit(self) -> str:
        return self.definition.unit

    def formula(self, short_abandon_seconds: float) -> str:
        """The KPI's definition in words, for screens and emails."""
        excluded = "calls outside business hours excluded"
        if short_abandon_seconds > 0:
            excluded = f"short abandons < {_fmt(short_abandon_seconds)} s and {excluded}"
        return self.definition.formula_text(
            threshold=_fmt(self.threshold_seconds or 0), excluded=excluded, abandons=self.abandons
        )


def _duplicate_ids(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(location, message) of every target whose id an earlier target already has."""
    if not isinstance(data, dict):
        return []
    key = "target" if "target" in data else "targets"  # as written in the file, or in code
    tables = data.get(key)
    if not isinstance(tables, list):
        return []
    first: dict[str, int] = {}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, table in enumerate(tables):
        raw = table.get("id") if isinstance(table, dict) else getattr(table, "id", None)
        if not isinstance(raw, str):
            continue
        if raw in first:
            out.append(
                (
                    (key, i, "id"),
                    f'id "{raw}" is already used by target[{first[raw] + 1}]; '
                    "expected every target id to be unique",
                )
            )
        else:
            first[raw] = i
    return out


def _taking(option: str) -> str:
    """The KPIs that take a target key such as ``threshold_seconds``, for error messages."""
    return ", ".join(k.name for k in KPIS.values() if option in k.options)


class Targets(_Section):
    """The whole targets.toml."""

    operation: Operation = Field(default_factory=Operation, description="the operation")
    business_hours: BusinessHours | None = Field(None, description="absent: open 24/7")
    targets: list[Target] = Field(alias="target", min_length=1, description="the targets")
    report: dict[str, Any] | None = Field(None, description="email report settings")
    alerts: dict[str, Any] | None = Field(None, description="alert settings")
    source: list[dict[str, Any]] = Field(default_factory=list, description="data sources")
    assessment: dict[str, Any] | None = Field(
        None, description="statements of the customer-focus self-assessment"
    )

    _path: Path | None = PrivateAttr(default=None)

    # A wrap validator, not a check of the validated list: that one only ran once every target
    # was valid, so a duplicate id came to light only after the other errors were fixed. Here
    # the ids are read from the input as written, and reported with the other errors.
    @model_validator(mode="wrap")
    @classmethod
    def _unique_ids(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        duplicates = _duplicate_ids(data)
        try:
            model = handler(data)
        except ValidationError as exc:
            if not duplicates:
                raise
            raise with_more_errors(exc, cls.__name__, duplicates) from None
        if duplicates:
            raise with_more_errors(None, cls.__name__, duplicates)
        return model

    @property
    def path(self) -> Path | None:
        """Where these targets were loaded from (None when built in code)."""
        return self._path

    def is_open(self, local_dt: datetime.datetime) -> bool:
        return self.business_hours is None or self.business_hours.is_open(local_dt)

    def stale_after(self, source_name: str) -> datetime.timedelta:
        """How long a source may go without new facts (and without a read) before its figures
        are stale: its ``[[source]]`` table's ``stale_after_minutes``, else the operation's.

        The ``[[source]]`` tables are the collectors' to validate (``targets check`` does); a
        value that is not a positive number here is ignored rather than trusted.
        """
        minutes = self.operation.stale_after_minutes
        for table in self.source:
            own = table.get("stale_after_minutes")
            if table.get("name") != source_name or isinstance(own, bool):
                continue
            if isinstance(own, int | float) and 0 < own < float("inf"):
                minutes = float(own)
        return datetime.timedelta(minutes=minutes)

    def thresholds(self) -> frozenset[float]:
        """Every service-level T, so the store can count answers within each."""
        return frozenset(
            t.threshold_seconds
            for t in self.targets
            if "threshold_seconds" in t.definition.options and t.threshold_seconds is not None
        )

    def target(self, id: str) -> Target:
        for t in self.targets:
            if t.id == id:
                return t
        hint = _suggest(id, [t.id for t in self.targets])
        raise KeyError(f'no target "{id}"' + (f' (did you mean "{hint}"?)' if hint else ""))
