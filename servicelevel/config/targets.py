"""targets.toml: the policy people edit, as pydantic models, and its loader.

Analysts edit this file by hand, so bad content is data, not a crash: `load_targets`
returns every problem as a `ConfigIssue` naming the file, the line, the key, what was
expected and, for a typo, the nearest valid name. The reference is docs/targets.md.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, available_timezones

import holidays as holidays_lib
import tomlkit
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.errors import TargetsInvalid

KPI_NAMES = (
    "service_level",
    "abandon_rate",
    "asa",
    "longest_wait",
    "return_rate",
    "complaint_satisfaction",
    "complainant_repurchase",
)
CALL_KPIS = frozenset({"service_level", "abandon_rate", "asa", "longest_wait"})
HIGHER_IS_BETTER = {
    "service_level": True,
    "abandon_rate": False,
    "asa": False,
    "longest_wait": False,
    "return_rate": False,
    "complaint_satisfaction": True,
    "complainant_repurchase": True,
}
KPI_UNIT = {
    "service_level": "%",
    "abandon_rate": "%",
    "asa": "s",
    "longest_wait": "s",
    "return_rate": "%",
    "complaint_satisfaction": "%",
    "complainant_repurchase": "%",
}
WINDOWS = ("15min", "hour", "day", "week", "month")
ABANDONS = ("miss", "ignore", "success_within_t")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

KpiName = Literal[
    "service_level",
    "abandon_rate",
    "asa",
    "longest_wait",
    "return_rate",
    "complaint_satisfaction",
    "complainant_repurchase",
]
Window = Literal["15min", "hour", "day", "week", "month"]
Abandons = Literal["miss", "ignore", "success_within_t"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


# --- located errors --------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in targets.toml, located for a person to fix."""

    file: str
    line: int | None
    key: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        if self.suggestion is not None:
            text += f' (did you mean "{self.suggestion}"?)'
        return text


@dataclass
class LoadResult:
    targets: Targets | None
    errors: list[ConfigIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.targets is not None and not self.errors

    def unwrap(self) -> Targets:
        """The targets, or `TargetsInvalid` carrying every issue."""
        if self.targets is None or self.errors:
            raise TargetsInvalid(self.errors)
        return self.targets


def _suggest(value: object, choices: Iterable[str]) -> str | None:
    """Nearest valid name for a typo, compared case-insensitively."""
    if not isinstance(value, str) or not value:
        return None
    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def _fail(
    message: str, suggestion: str | None = None, at: tuple[Any, ...] = (), missing: bool = False
) -> Exception:
    # The message travels in the context, so braces in it are never read as a template.
    # `at` extends the location below the field that raised (e.g. a duplicate's index);
    # `missing` marks a required key that is absent, like pydantic's own "missing".
    ctx = {"message": message, "suggestion": suggestion, "at": at, "missing": missing}
    return PydanticCustomError("servicelevel", "{message}", ctx)


def _show(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _choice(value: object, choices: Sequence[str], what: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"expected one of {', '.join(choices)} in double quotes, got {_show(value)}")
    if value not in choices:
        raise _fail(
            f"unknown {what} {_show(value)}; expected one of {', '.join(choices)}",
            _suggest(value, choices),
        )
    return value


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- the models ------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


class Operation(_Section):
    """[operation]: who we are and how the whole operation is measured."""

    name: str = Field("Customer service", min_length=1, description="name shown on screens")
    timezone: str = Field("UTC", description="IANA time zone name, e.g. Europe/Paris")
    short_abandon_seconds: float = Field(
        5, ge=0, description="calls abandoned sooner than this many seconds are short abandons"
    )
    stale_after_minutes: float = Field(
        15, gt=0, description="minutes of silence before a source's figures are stale"
    )
    refresh_seconds: int = Field(10, ge=2, description="dashboard auto-refresh in seconds")
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
        None, validate_default=True, description="service level's answer time limit T, seconds"
    )
    abandons: Abandons = Field("miss", description="how service level treats abandoned calls")
    queues: list[str] = Field(default_factory=lambda: ["*"], description="queues measured")
    per_queue: bool = Field(False, description="one figure per queue instead of one in total")
    window: Window = Field("day", description="period the KPI is computed over")
    minimum: float = Field(description="worst acceptable value, in the KPI's unit (% or s)")
    ideal: float = Field(description="value we aim for, in the KPI's unit (% or s)")
    min_volume: int = Field(1, ge=0, description="fewer calls/units than this shows no data")

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

    @field_validator("kpi", mode="before")
    @classmethod
    def _known_kpi(cls, value: object) -> str:
        return _choice(value, KPI_NAMES, "KPI")

    @field_validator("window", mode="before")
    @classmethod
    def _known_window(cls, value: object) -> str:
        return _choice(value, WINDOWS, "window")

    @field_validator("threshold_seconds")
    @classmethod
    def _threshold_for_service_level(cls, value: float | None, info: ValidationInfo) -> Any:
        kpi = info.data.get("kpi")
        if kpi == "service_level":
            if value is None:
                raise _fail(
                    'missing required key "threshold_seconds": service_level needs the '
                    "answer time limit T in seconds, e.g. threshold_seconds = 20",
                    missing=True,
                )
            if value <= 0:
                raise _fail(f"must be more than 0 seconds, got {_fmt(value)}")
        elif kpi is not None and value is not None:
            raise _fail(f"threshold_seconds only applies to service_level; remove it for {kpi}")
        return value

    # Only runs when the key is written: the default is fine for every KPI.
    @field_validator("abandons", mode="before")
    @classmethod
    def _abandons_for_service_level(cls, value: object, info: ValidationInfo) -> str:
        kpi = info.data.get("kpi")
        if kpi is not None and kpi != "service_level":
            raise _fail(f"abandons only applies to service_level; remove it for {kpi}")
        return _choice(value, ABANDONS, "abandons rule")

    @field_validator("queues")
    @classmethod
    def _queues(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value or any(not q.strip() for q in value):
            raise _fail('expected a list of queue names, or ["*"] for all queues')
        if "*" in value and len(value) > 1:
            raise _fail('"*" already means all queues; list either ["*"] or queue names')
        kpi = info.data.get("kpi")
        if kpi is not None and kpi not in CALL_KPIS and value != ["*"]:
            raise _fail(
                f"queues only applies to call KPIs ({', '.join(sorted(CALL_KPIS))}); "
                f'{kpi} covers the whole operation, so leave queues out or use ["*"]'
            )
        return value

    @field_validator("per_queue")
    @classmethod
    def _per_queue(cls, value: bool, info: ValidationInfo) -> bool:
        kpi = info.data.get("kpi")
        if value and kpi is not None and kpi not in CALL_KPIS:
            raise _fail(f"per_queue only applies to call KPIs; {kpi} has no queues")
        return value

    @field_validator("minimum", "ideal")
    @classmethod
    def _in_range_and_ordered(cls, value: float, info: ValidationInfo) -> float:
        kpi = info.data.get("kpi")
        if kpi is None:
            return value
        if KPI_UNIT[kpi] == "%" and not 0 <= value <= 100:
            raise _fail(f"{kpi} is a percentage: expected 0 to 100, got {_fmt(value)}")
        if KPI_UNIT[kpi] == "s" and value < 0:
            raise _fail(f"{kpi} is in seconds: expected 0 or more, got {_fmt(value)}")
        minimum = info.data.get("minimum")
        if info.field_name == "ideal" and minimum is not None:
            higher = HIGHER_IS_BETTER[kpi]
            if (value < minimum) if higher else (value > minimum):
                side, way = ("above", "higher") if higher else ("below", "lower")
                raise _fail(
                    f"ideal must be at or {side} minimum because {way} is better for {kpi} "
                    f"(minimum {_fmt(minimum)}, ideal {_fmt(value)})"
                )
        return value

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.kpi]

    @property
    def unit(self) -> str:
        return KPI_UNIT[self.kpi]

    def formula(self, short_abandon_seconds: float) -> str:
        """The KPI's definition in words, for screens and emails."""
        excluded = "calls outside business hours excluded"
        if short_abandon_seconds > 0:
            excluded = f"short abandons < {_fmt(short_abandon_seconds)} s and {excluded}"
        t = _fmt(self.threshold_seconds or 0)
        texts = {
            "service_level": {
                "miss": f"answered within {t} s / offered (abandons count as misses; {excluded})",
                "ignore": f"answered within {t} s / (offered - abandoned) "
                f"(abandons left out of both; {excluded})",
                "success_within_t": f"(answered within {t} s + abandoned within {t} s) / offered "
                f"(an abandon within {t} s counts as a success; {excluded})",
            }[self.abandons],
            "abandon_rate": f"abandoned / offered ({excluded})",
            "asa": f"mean wait of answered calls ({excluded})",
            "longest_wait": f"longest wait of any offered call ({excluded})",
            "return_rate": "units returned / units sold in the window",
            "complaint_satisfaction": "complainants answering 4 or 5 (on 1-5) / respondents",
            "complainant_repurchase": "complainants with an order within 90 days after "
            "resolution / complainants resolved in the window",
        }
        return texts[self.kpi]


class Targets(_Section):
    """The whole targets.toml."""

    operation: Operation = Field(default_factory=Operation, description="the operation")
    business_hours: BusinessHours | None = Field(None, description="absent: open 24/7")
    targets: list[Target] = Field(alias="target", min_length=1, description="the targets")
    report: dict[str, Any] | None = Field(None, description="email report settings")
    alerts: dict[str, Any] | None = Field(None, description="alert settings")
    source: list[dict[str, Any]] = Field(default_factory=list, description="data sources")

    _path: Path | None = PrivateAttr(default=None)

    @field_validator("targets")
    @classmethod
    def _unique_ids(cls, value: list[Target]) -> list[Target]:
        first: dict[str, int] = {}
        for i, target in enumerate(value):
            if target.id in first:
                raise _fail(
                    f'id "{target.id}" is already used by target[{first[target.id] + 1}]; '
                    "expected every target id to be unique",
                    at=(i, "id"),
                )
            first[target.id] = i
        return value

    @property
    def path(self) -> Path | None:
        """Where these targets were loaded from (None when built in code)."""
        return self._path

    def is_open(self, local_dt: datetime.datetime) -> bool:
        return self.business_hours is None or self.business_hours.is_open(local_dt)

    def thresholds(self) -> frozenset[float]:
        """Every service-level T, so the store can count answers within each."""
        return frozenset(
            t.threshold_seconds
            for t in self.targets
            if t.kpi == "service_level" and t.threshold_seconds is not None
        )

    def target(self, id: str) -> Target:
        for t in self.targets:
            if t.id == id:
                return t
        hint = _suggest(id, [t.id for t in self.targets])
        raise KeyError(f'no target "{id}"' + (f' (did you mean "{hint}"?)' if hint else ""))


# --- loading ---------------------------------------------------------------------------


def load_targets(path: str | Path) -> LoadResult:
    """Read and validate a targets file; problems come back as issues, never raised."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: editors on Windows add a BOM
    except FileNotFoundError:
        return LoadResult(None, [ConfigIssue(str(path), None, "", "file not found")])
    except UnicodeDecodeError as e:
        message = f"not UTF-8 text (byte {e.start}); save the file as UTF-8"
        return LoadResult(None, [ConfigIssue(str(path), None, "", message)])
    except OSError as e:
        message = f"cannot read the file: {e.strerror or e}"
        return LoadResult(None, [ConfigIssue(str(path), None, "", message)])
    result = parse_targets(text, filename=str(path))
    if result.targets is not None:
        result.targets._path = p
    return result


def parse_targets(text: str, filename: str = "targets.toml") -> LoadResult:
    try:
        data = tomlkit.parse(text).unwrap()
    except ParseError as e:
        return LoadResult(None, [ConfigIssue(filename, e.line, "", _syntax_message(e))])
    except TOMLKitError as e:
        return LoadResult(None, [ConfigIssue(filename, None, "", f"not valid TOML: {e}")])
    try:
        targets = Targets.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as e:
        issues = [_issue(err, text, filename) for err in _without_echoes(e.errors())]
        issues.sort(key=lambda i: (i.line is None, i.line or 0))
        return LoadResult(None, issues)
    return LoadResult(targets, [])


def _syntax_message(e: ParseError) -> str:
    detail = re.sub(r"\s+at line \d+ col \d+$", "", str(e)).rstrip(".")
    if "'\\x00'" in detail:  # tomlkit's way of saying it ran out of text
        detail = "unexpected end of file (is a bracket or quote left open?)"
    return f"not valid TOML at column {e.col + 1}: {detail}"


def _location(err: Any) -> tuple[Any, ...]:
    return tuple(err["loc"]) + tuple((err.get("ctx") or {}).get("at", ()))


def _without_echoes(errors: list[Any]) -> list[Any]:
    """Drop "missing minimum" when the same table has "minimun": one typo, one issue."""
    misspelt = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _location(err)
            nearest = _suggest(loc[-1], _allowed_keys(loc[:-1]))
            if nearest is not None:
                misspelt.add((*loc[:-1], nearest))

    def is_missing(err: Any) -> bool:
        return err["type"] == "missing" or bool((err.get("ctx") or {}).get("missing"))

    return [err for err in errors if not (is_missing(err) and _location(err) in misspelt)]


def _key_path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _issue(err: Any, text: str, filename: str) -> ConfigIssue:
    loc = _location(err)
    message, suggestion = _plain_message(err, loc)
    return ConfigIssue(filename, locate_line(text, loc), _key_path(loc), message, suggestion)


_EXPECTED = {
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a number",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": 'expected text in double quotes, e.g. "support"',
    "list_type": 'expected a list in square brackets, e.g. ["*"]',
    "tuple_type": 'expected a list in square brackets, e.g. ["07:30", "17:00"]',
    "dict_type": "expected a table: a [section] or { key = value, ... }",
    "model_type": "expected a table: a [section] or { key = value, ... }",
    "model_attributes_type": "expected a table: a [section] or { key = value, ... }",
}


def _plain_message(err: Any, loc: tuple[Any, ...]) -> tuple[str, str | None]:
    """Pydantic's error in words for an analyst, plus a did-you-mean if there is one."""
    kind, ctx, key = err["type"], err.get("ctx") or {}, loc[-1] if loc else ""
    if kind == "servicelevel":
        return ctx["message"], ctx.get("suggestion")
    if kind == "missing":
        if loc == ("target",):
            return "no targets: add at least one [[target]] table", None
        description = _field_description(loc)
        return f'missing required key "{key}"' + (f": {description}" if description else ""), None
    if kind == "extra_forbidden":
        keys = _allowed_keys(loc[:-1])
        return f'unknown key "{key}"; expected one of {", ".join(keys)}', _suggest(key, keys)
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {_show(err.get('input'))}", None
    if kind == "too_short":
        if loc == ("target",):
            return "no targets: add at least one [[target]] table", None
        return "must not be empty", None
    if kind == "string_too_short":
        return "must not be empty", None
    bounds = {
        "greater_than": "more than {}",
        "greater_than_equal": "{} or more",
        "less_than": "less than {}",
        "less_than_equal": "{} or less",
    }
    if kind in bounds:
        limit = next(iter(v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le")))
        expected = bounds[kind].format(_fmt(limit))
        return f"expected {expected}, got {_show(err.get('input'))}", None
    return err["msg"], None


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Targets
    for part in loc:
        if isinstance(part, int):
            continue
        info = _fields_by_key(model).get(part) if model else None
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model


def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    model = _model_at(loc)
    return list(_fields_by_key(model)) if model else []


def _field_description(loc: Sequence[Any]) -> str | None:
    model = _model_at(loc[:-1])
    info = _fields_by_key(model).get(loc[-1]) if model else None
    return info.description if info else None


# --- where a key is written ------------------------------------------------------------


def locate_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line that best matches a validation location such as ("target", 1, "kpi").

    That is the `kpi = ...` line inside the second [[target]] table if there is one, else
    the nearest enclosing header or key (a missing key points at its table's header).
    """
    want = tuple(loc)
    best, best_len = None, -1
    for path, line in _key_lines(text):
        if len(path) > best_len and want[: len(path)] == path:
            best, best_len = line, len(path)
    return best


def _key_lines(text: str) -> list[tuple[tuple[str | int, ...], int]]:
    """(path, line) for every table header and every key = value line, in order.

    Arrays of tables get their 0-based index in the path, as pydantic does:
    ("target", 1) is the second [[target]] header, ("target", 1, "kpi") a key in it.
    """
    entries: list[tuple[tuple[str | int, ...], int]] = []
    counts: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None  # the closing quotes of a multi-line string we're inside
    depth = 0  # open brackets of a value spanning lines
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_string is not None or depth > 0 or not stripped or stripped.startswith("#"):
            in_string, depth = _scan_value(line, in_string, depth)
            continue
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            inner = stripped[2:] if is_array else stripped[1:]
            parts = _split_key(inner[: max(_find_unquoted(inner, "]"), 0)])
            if parts:
                table = _resolve_header(parts, is_array, counts, entries, number)
                entries.append((table, number))
            continue
        equals = _find_unquoted(stripped, "=")
        if equals > 0:
            entries.append((table + tuple(_split_key(stripped[:equals])), number))
            in_string, depth = _scan_value(stripped[equals + 1 :], None, 0)
    return entries


def _resolve_header(
    parts: list[str],
    is_array: bool,
    counts: dict[tuple[str | int, ...], int],
    entries: list[tuple[tuple[str | int, ...], int]],
    number: int,
) -> tuple[str | int, ...]:
    path: tuple[str | int, ...] = ()
    for i, part in enumerate(parts):
        path += (part,)
        if is_array and i == len(parts) - 1:
            index = counts.get(path, -1) + 1
            if index == 0:
                entries.append((path, number))  # the first header also stands for the array
            counts[path] = index
            path += (index,)
        elif path in counts:
            path += (counts[path],)
    return path


def _scan_value(chunk: str, in_string: str | None, depth: int) -> tuple[str | None, int]:
    """Carry multi-line string and bracket state across one line of a value."""
    i = 0
    while i < len(chunk):
        if in_string is not None:
            end = chunk.find(in_string, i)
            if end < 0:
                return in_string, depth
            i, in_string = end + 3, None
            continue
        c = chunk[i]
        if c == "#":
            break
        if chunk.startswith('"""', i) or chunk.startswith("'''", i):
            in_string, i = chunk[i : i + 3], i + 3
            continue
        if c in "\"'":
            i = _string_end(chunk, i) + 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return in_string, depth


def _string_end(s: str, start: int) -> int:
    quote, i = s[start], start + 1
    while i < len(s) and s[i] != quote:
        i += 2 if quote == '"' and s[i] == "\\" else 1
    return i


def _find_unquoted(s: str, char: str) -> int:
    i = 0
    while i < len(s):
        if s[i] == char:
            return i
        i = _string_end(s, i) + 1 if s[i] in "\"'" else i + 1
    return -1


def _split_key(key: str) -> list[str]:
    """'a."b.c" . d' -> ["a", "b.c", "d"]; [] if it isn't a key."""
    parts, i, current = [], 0, ""
    while i < len(key):
        c = key[i]
        if c in "\"'":
            end = _string_end(key, i)
            current += key[i + 1 : end]
            i = end + 1
            continue
        if c == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += c
        i += 1
    parts.append(current.strip())
    return parts if all(parts) else []


# --- live reload -----------------------------------------------------------------------


class TargetsWatcher:
    """The current targets for a long-running process; a bad edit never takes it down.

    Re-reads the file when its modification time, size or inode changes. On errors it keeps
    serving the last good targets and returns the new errors, for a banner.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | object | None = object()  # nothing read yet
        self._targets: Targets | None = None
        self._errors: list[ConfigIssue] = []

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def current(self) -> tuple[Targets | None, list[ConfigIssue]]:
        with self._lock:
            signature = self._signature()
            if signature != self._seen:
                self._seen = signature
                result = load_targets(self.path)
                if result.ok:
                    self._targets, self._errors = result.targets, []
                else:
                    self._errors = result.errors
            return self._targets, list(self._errors)
