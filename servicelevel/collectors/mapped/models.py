"""The mapping models: a mapping file's keys, and a ``[[source]]`` table (a mapping + where from).

Kind-dependent checks (which fields a kind has, which are required) are :meth:`Mapping.issues`;
what a ``[[source]]`` of a kind must also say (a path, a URL, a query) is declared by its
collector (:mod:`servicelevel.collectors.registry`). Loading files, with located errors, is
:mod:`.mapping`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping as AnyMapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from servicelevel.collectors.mapped.fields import (
    FACT_KINDS,
    FIELDS,
    OUTCOMES,
    SURVEY_IN_COMPLAINT,
    FactKind,
    FieldInfo,
)
from servicelevel.collectors.registry import COLLECTORS
from servicelevel.config import ConfigIssue, locate_line
from servicelevel.config.issues import _choice, _fail, _show, _suggest
from servicelevel.errors import ConfigError


@dataclass(frozen=True)
class Locator:
    """Turns a key path into a located ConfigIssue for one file (and one table in it)."""

    file: str
    text: str
    prefix: tuple[str | int, ...] = ()

    def issue(
        self, loc: Sequence[str | int], message: str, suggestion: str | None = None
    ) -> ConfigIssue:
        full = (*self.prefix, *loc)
        key = ""
        for part in full:
            key += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        return ConfigIssue(self.file, locate_line(self.text, full), key, message, suggestion)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Scalar = str | int | float


class FieldSpec(_Strict):
    """Where one of our fields comes from: one column, the first non-empty of several, several
    joined, or a constant; plus how to read it."""

    column: str | None = Field(None, description="the column holding the value")
    first_of: list[str] | None = Field(None, description="the first non-empty of these columns")
    join: list[str] | None = Field(None, description="these columns' non-empty values, joined")
    sep: str = Field(" ", description="separator for join")
    value: Scalar | None = Field(None, description="a constant instead of a column")
    date: str | None = Field(None, description="column with the date, when this is a time of day")
    format: str | None = Field(None, description="strptime format, epoch or epoch_ms")
    values: dict[str, Scalar] | None = Field(None, description="source value -> our value")
    categories: list[str] | None = Field(
        None, description="nature: the categories, matched in the text; others become other"
    )
    empty: list[str] | None = Field(None, description="values meaning 'absent' for this field")
    unit: Literal["s", "ms", "min", "h"] = Field("s", description="unit of a number of seconds")

    def sources(self) -> list[str]:
        """The columns this field reads (the date column included)."""
        cols = [self.column] if self.column else list(self.first_of or self.join or [])
        return cols + ([self.date] if self.date else [])

    def describe(self) -> str:
        if self.value is not None:
            return "a constant"
        if self.join:
            return "columns " + ", ".join(self.join)
        if self.first_of:
            return "columns " + ", ".join(self.first_of)
        return f"column {self.column}"


def _field_spec(value: Any) -> Any:
    """``queue = "Queue Name"`` is short for ``queue = { column = "Queue Name" }``."""
    return {"column": value} if isinstance(value, str) else value


class SkipRule(_Strict):
    """Rows matching ``when`` are not facts (an IVR-only call, a test call): they go to the
    quarantine with ``reason``, so they are counted and explained, never silently dropped."""

    reason: str = Field(min_length=1, description="why such rows are not facts")
    when: dict[str, str | list[str]] = Field(
        min_length=1, description="column = value (or list of values); all must match"
    )

    def matches(self, row: AnyMapping[str, Any]) -> bool:
        for column, wanted in self.when.items():
            raw = row.get(column)
            text = "" if raw is None else str(raw).strip()
            options = [wanted] if isinstance(wanted, str) else wanted
            if text not in options:
                return False
        return True


class Mapping(_Strict):
    """The mapping keys (a mapping file, or the same keys in a ``[[source]]`` table)."""

    kind: FactKind | None = Field(None, description="calls, surveys, complaints, orders, returns")
    description: str | None = Field(None, description="free text")
    timezone: str | None = Field(None, description="zone of times without an offset")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field separator")
    quotechar: str = Field('"', min_length=1, max_length=1, description="CSV quote character")
    encoding: str = Field("utf-8", description="CSV text encoding")
    # Strict, as in targets.toml: skip_lines = "2" or clamp_negative_durations = "yes" is a typo.
    skip_lines: int = Field(0, ge=0, description="lines before the CSV header", strict=True)
    datetime_format: str | None = Field(None, description="default date-time format")
    date_format: str | None = Field(None, description="default date format")
    time_format: str | None = Field(None, description="default time-of-day format")
    decimal: Literal[".", ","] = Field(".", description="decimal mark of numbers")
    empty: list[str] = Field(default_factory=lambda: [""], description="values meaning absent")
    clamp_negative_durations: bool = Field(
        False, description="a negative wait (or resolved before opened) counts as 0", strict=True
    )
    columns: dict[str, FieldSpec] = Field(description="our field = its source")
    survey: dict[str, FieldSpec] | None = Field(None, description="complaints: a survey answer")
    skip: list[SkipRule] = Field(default_factory=list, description="rows that are not facts")

    @field_validator("columns", "survey", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _field_spec(v) for k, v in value.items()}
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                # Worded as targets.toml's [operation] timezone: one mistake, one wording.
                raise _fail(
                    f"unknown time zone {_show(value)}; expected an IANA name such as "
                    '"Europe/Paris" or "America/New_York"',
                    _suggest(value, available_timezones()),
                ) from None
        return value

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise _fail(f"unknown encoding {_show(value)}") from None
        if "\n".encode(value) != b"\n" or "16" in value or "32" in value:
            raise _fail(f"{_show(value)} is not supported; use utf-8, latin-1 or cp1252")
        return value

    def tz(self, default: ZoneInfo) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else default

    def referenced_columns(self) -> list[str]:
        """Every column the mapping reads, in a stable order, without repeats."""
        seen: dict[str, None] = {}
        for spec in [*self.columns.values(), *(self.survey or {}).values()]:
            for column in spec.sources():
                seen.setdefault(column, None)
        for rule in self.skip:
            for column in rule.when:
                seen.setdefault(column, None)
        return list(seen)

    def issues(self, kind: str, where: Locator) -> list[ConfigIssue]:
        """Problems only visible once the kind is known (fields, requirements, specs)."""
        out: list[ConfigIssue] = []
        fields = FIELDS[kind]
        if self.kind in FACT_KINDS and self.kind != kind:
            out.append(where.issue(("kind",), f"this mapping is for {self.kind}, not {kind}"))
        out += _check_fields(self.columns, fields, kind, ("columns",), where)
        if kind == "calls" and "outcome" not in self.columns and "answered_at" not in self.columns:
            out.append(
                where.issue(
                    ("columns",),
                    "calls need outcome or answered_at to tell answered calls from the others",
                )
            )
        if self.survey is not None:
            if kind != "complaints":
                out.append(where.issue(("survey",), "[survey] is only for complaints"))
            else:
                out += _check_fields(
                    self.survey, SURVEY_IN_COMPLAINT, "[survey]", ("survey",), where
                )
        return out


def _check_fields(
    specs: dict[str, FieldSpec],
    fields: dict[str, FieldInfo],
    what: str,
    at: tuple[str | int, ...],
    where: Locator,
) -> list[ConfigIssue]:
    out = []
    for name, spec in specs.items():
        loc = (*at, name)
        if name not in fields:
            out.append(
                where.issue(
                    loc,
                    f"unknown field for {what}; expected one of {', '.join(fields)}",
                    _suggest(name, fields),
                )
            )
            continue
        given = [k for k in ("column", "first_of", "join", "value") if getattr(spec, k) is not None]
        if len(given) != 1:
            out.append(where.issue(loc, "give exactly one of column, first_of, join or value"))
        if spec.date is not None and fields[name].type != "datetime":
            out.append(where.issue(loc, "date is only for date-time fields"))
        if spec.values is not None and spec.value is not None:
            out.append(where.issue(loc, "values maps columns; a constant needs no values"))
        if fields[name].type == "category":
            if spec.values is None and not spec.categories and spec.value is None:
                out.append(
                    where.issue(
                        loc,
                        f"{name} is named in the weekly email, so it must be a category, never "
                        "free text: list them with categories = [...] (matched in the text) or "
                        "translate the source's values with values = { ... }; anything else "
                        'becomes "other"',
                    )
                )
        elif spec.categories is not None:
            out.append(where.issue((*loc, "categories"), "categories is only for nature"))
        if fields[name].type == "outcome" and spec.values:
            for source_value, ours in spec.values.items():
                if str(ours) not in OUTCOMES:
                    out.append(
                        where.issue(
                            (*loc, "values", source_value),
                            f'"{ours}" is not an outcome; expected one of {", ".join(OUTCOMES)} '
                            "(use a [[skip]] rule for rows that are not calls)",
                            _suggest(str(ours), OUTCOMES),
                        )
                    )
    for name, info in fields.items():
        if info.required and name not in specs:
            out.append(where.issue(at, f'missing required field "{name}": {info.help}'))
    return out


class SourceConfig(Mapping):
    """One ``[[source]]`` table: a mapping plus where the rows come from."""

    name: str = Field(min_length=1, max_length=200, description="unique name of the source")
    kind: str = Field(description="collector kind")  # type: ignore[assignment]
    path: str | None = Field(None, description="file to read (files)")
    url: str | None = Field(None, description="SQLAlchemy URL (tables and queries)")
    url_env: str | None = Field(None, description="environment variable holding the URL")
    table: str = Field("queue_log", description="queue_log table name")
    query: str | None = Field(None, description="SQL query (SQL sources)")
    watermark: str | None = Field(None, description="column that only grows (SQL sources)")
    mapping: str | None = Field(None, description="a mapping file with the mapping keys")
    columns: dict[str, FieldSpec] = Field(default_factory=dict, description="our field = source")
    # Read by the core too (servicelevel.config.Targets.stale_after), from the raw table.
    stale_after_minutes: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="open minutes without a new fact before this source is stale",
        strict=True,
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return _choice(value, tuple(COLLECTORS), "kind")  # read at each check: plug-ins count

    @property
    def fact_kind(self) -> str:
        """What the source's collector stores (calls, surveys...)."""
        return COLLECTORS[self.kind].fact_kind

    def database_url(self) -> str:
        """The URL, from ``url`` or the environment variable ``url_env`` (for passwords)."""
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigError(
                    f"source {self.name}: environment variable {self.url_env} is empty"
                )
            return value
        assert self.url is not None
        return self.url
