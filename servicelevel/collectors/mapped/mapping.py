"""Mappings: how another system's export becomes our facts, and the ``[[source]]`` tables.

A call-centre switch, a CRM or a survey tool exports rows with *its* column names and time
formats. A mapping (a small TOML file, or the same keys inside a ``[[source]]`` table of
targets.toml) says which column feeds which of our fields and how to read it. People write
mappings by hand, so every problem is reported like a targets.toml problem, with the file, the
line and the key::

    genesys.toml:9: columns.entred_at: unknown field for calls; expected one of ... (did you mean
    "entered_at"?)

The reference is docs/collectors.md. Reading rows with a mapping is :mod:`.records`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.config import ConfigIssue, locate_line
from servicelevel.errors import ConfigError

FactKind = Literal["calls", "surveys", "complaints", "orders", "returns"]
FACT_KINDS: tuple[str, ...] = ("calls", "surveys", "complaints", "orders", "returns")
OUTCOMES = ("answered", "abandoned", "timeout", "exitkey", "exitempty")

# Collector kinds: what `servicelevel import KIND` and `[[source]] kind` accept.
CSV_KINDS = {f"{k}-csv": k for k in FACT_KINDS}
SQL_KINDS = {f"{k}-sql": k for k in FACT_KINDS}
QUEUE_LOG_FILE = "asterisk-queue-log"
QUEUE_LOG_TABLE = "asterisk-queue-log-table"
COLLECTOR_KINDS = (QUEUE_LOG_FILE, QUEUE_LOG_TABLE, *CSV_KINDS, *SQL_KINDS)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One of our fields: how its value is read and whether a mapping must provide it."""

    type: str  # key | text | datetime | seconds | units | money | score | outcome | customer
    required: bool = False
    length: int = 200  # the store column's size: longer text is cut, a longer key refused
    help: str = ""


FIELDS: dict[str, dict[str, FieldInfo]] = {
    "calls": {
        "callid": FieldInfo("key", True, 80, "the call's id in the source system"),
        "queue": FieldInfo("text", True, 80, "queue, skill or service the caller waited in"),
        "entered_at": FieldInfo("datetime", True, help="when the call entered the queue"),
        "outcome": FieldInfo("outcome", help="answered, abandoned, timeout, exitkey, exitempty"),
        "answered_at": FieldInfo("datetime", help="when an agent answered"),
        "left_queue_at": FieldInfo("datetime", help="when the caller left the queue"),
        "wait_s": FieldInfo("seconds", help="time in queue"),
        "talk_s": FieldInfo("seconds", help="talk time"),
        "agent": FieldInfo("text", False, 120, "agent who answered"),
        "caller": FieldInfo("customer", help="caller number or customer id (kept as a keyed hash)"),
    },
    "surveys": {
        "key": FieldInfo("key", True, 120, "the survey answer's id"),
        "answered_at": FieldInfo("datetime", True, help="when the customer answered"),
        "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
        "complaint": FieldInfo("key", False, 120, "id of the complaint the survey is about"),
    },
    "complaints": {
        "key": FieldInfo("key", True, 120, "the complaint's id"),
        "opened_at": FieldInfo("datetime", True, help="when the complaint was received"),
        "resolved_at": FieldInfo("datetime", help="when it was resolved"),
        "nature": FieldInfo("text", help="what it was about"),
        "solution": FieldInfo("text", help="how it was resolved"),
        "follow_up": FieldInfo("text", help="follow-up action"),
        "compensation": FieldInfo("money", help="amount paid or credited"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "orders": {
        "key": FieldInfo("key", True, 120, "the order (or order line) id"),
        "ordered_at": FieldInfo("datetime", True, help="when it was sold"),
        "units": FieldInfo("units", help="units sold (default 1)"),
        "product": FieldInfo("text", False, 120, "product"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "returns": {
        "key": FieldInfo("key", True, 120, "the return (or return line) id"),
        "returned_at": FieldInfo("datetime", True, help="when it was returned"),
        "units": FieldInfo("units", help="units returned (default 1)"),
        "product": FieldInfo("text", False, 120, "product"),
        "order": FieldInfo("key", False, 120, "id of the order returned"),
    },
}
# A complaints mapping may read a survey-like answer from the same row (see [survey]).
SURVEY_IN_COMPLAINT = {
    "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
    "answered_at": FieldInfo("datetime", False, help="when (default: resolved_at, opened_at)"),
    "key": FieldInfo("key", False, 120, "the survey's id (default: complaint key + ':survey')"),
}


class MappingInvalid(ConfigError):
    """A mapping or ``[[source]]`` table has problems; ``errors`` lists them, each located."""

    def __init__(self, errors: Sequence[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid mapping")


def suggest(value: str, choices: Sequence[str]) -> str | None:
    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


# --- the models ------------------------------------------------------------------------------


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

    def matches(self, row: dict[str, Any]) -> bool:
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
    skip_lines: int = Field(0, ge=0, description="lines before the CSV header")
    datetime_format: str | None = Field(None, description="default date-time format")
    date_format: str | None = Field(None, description="default date format")
    time_format: str | None = Field(None, description="default time-of-day format")
    decimal: Literal[".", ","] = Field(".", description="decimal mark of numbers")
    empty: list[str] = Field(default_factory=lambda: [""], description="values meaning absent")
    clamp_negative_durations: bool = Field(
        False, description="a negative wait (or resolved before opened) counts as 0"
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
                raise ValueError(
                    f'unknown time zone "{value}"; expected an IANA name such as "Europe/Paris"'
                ) from None
        return value

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f'unknown encoding "{value}"') from None
        if "\n".encode(value) != b"\n" or "16" in value or "32" in value:
            raise ValueError(f'"{value}" is not supported; use utf-8, latin-1 or cp1252')
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
                    suggest(name, list(fields)),
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
        if fields[name].type == "outcome" and spec.values:
            for source_value, ours in spec.values.items():
                if str(ours) not in OUTCOMES:
                    out.append(
                        where.issue(
                            (*loc, "values", source_value),
                            f'"{ours}" is not an outcome; expected one of {", ".join(OUTCOMES)} '
                            "(use a [[skip]] rule for rows that are not calls)",
                            suggest(str(ours), OUTCOMES),
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

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in COLLECTOR_KINDS:
            hint = suggest(value, COLLECTOR_KINDS)
            raise ValueError(
                f'unknown kind "{value}"; expected one of {", ".join(COLLECTOR_KINDS)}'
                + (f' (did you mean "{hint}"?)' if hint else "")
            )
        return value

    @property
    def fact_kind(self) -> str:
        return CSV_KINDS.get(self.kind) or SQL_KINDS.get(self.kind) or "calls"

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


# --- loading, with located errors ----------------------------------------------------------


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


def _validation_issues(
    exc: ValidationError, model: type[BaseModel], where: Locator
) -> list[ConfigIssue]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            out.append(
                where.issue(
                    loc,
                    f'unknown key "{loc[-1]}"; expected one of {", ".join(allowed)}',
                    suggest(str(loc[-1]), allowed),
                )
            )
        elif kind == "missing":
            out.append(where.issue(loc[:-1], f'missing required key "{loc[-1]}"'))
        elif kind == "value_error":
            out.append(where.issue(loc, str(err["msg"]).removeprefix("Value error, ")))
        else:
            shown = err.get("input")
            out.append(where.issue(loc, f"{err['msg'].lower()}, got {shown!r}"))
    return out


def _allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Keys allowed at ``loc`` (follows field specs and skip rules)."""
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return list(model.model_fields)
    if names[0] in ("columns", "survey"):
        return list(FieldSpec.model_fields) if len(names) >= 2 else []
    if names[0] == "skip":
        return list(SkipRule.model_fields)
    return []


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomlkit.parse(text).unwrap()
    except ParseError as e:
        raise MappingInvalid([ConfigIssue(file, e.line, "", f"not valid TOML: {e}")]) from None
    except TOMLKitError as e:
        raise MappingInvalid([ConfigIssue(file, None, "", f"not valid TOML: {e}")]) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingInvalid([ConfigIssue(str(path), None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise MappingInvalid([ConfigIssue(str(path), None, "", f"cannot read: {e}")]) from None


def load_mapping(path: str | Path, kind: str | None = None) -> Mapping:
    """Read and check a mapping file for fact ``kind`` (default: its own ``kind`` key)."""
    path = Path(path)
    text = _read(path)
    return parse_mapping(text, str(path), kind)


def parse_mapping(text: str, file: str, kind: str | None = None) -> Mapping:
    data = _parse_toml(text, file)
    where = Locator(file, text)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        raise MappingInvalid(_validation_issues(exc, Mapping, where)) from None
    kind = kind or mapping.kind
    if kind is None:
        raise MappingInvalid([where.issue((), 'missing key "kind": ' + ", ".join(FACT_KINDS))])
    issues = mapping.issues(kind, where)
    if issues:
        raise MappingInvalid(issues)
    return mapping


def load_sources(targets_path: str | Path, entries: list[dict[str, Any]]) -> list[SourceConfig]:
    """Validate the ``[[source]]`` tables of a targets file (mapping files they name included)."""
    targets_path = Path(targets_path)
    text = targets_path.read_text(encoding="utf-8-sig") if targets_path.exists() else ""
    issues: list[ConfigIssue] = []
    out: list[SourceConfig] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = Locator(str(targets_path), text, ("source", i))
        data = dict(entry)
        mapping_file = data.get("mapping")
        mapping_where = where
        if isinstance(mapping_file, str):
            mpath = (targets_path.parent / mapping_file).resolve()
            try:
                mtext = _read(mpath)
                mdata = _parse_toml(mtext, mapping_file)
            except MappingInvalid as exc:
                issues += [
                    where.issue(("mapping",), f"{mapping_file}: {e.message}") for e in exc.errors
                ]
                continue
            overlap = sorted(set(mdata) & set(data) - {"kind", "name", "mapping"})
            if overlap:
                issues.append(
                    where.issue(
                        (overlap[0],), f"also set in {mapping_file}; set mapping keys in one place"
                    )
                )
                continue
            mdata.pop("kind", None)
            mdata.pop("name", None)
            data.update(mdata)
            mapping_where = Locator(mapping_file, mtext)
        try:
            source = SourceConfig.model_validate(data)
        except ValidationError as exc:
            for issue in _validation_issues(exc, SourceConfig, where):
                issues.append(issue)
            continue
        if source.name in names:
            issues.append(
                where.issue(
                    ("name",),
                    f'"{source.name}" is already used by source[{names[source.name] + 1}]',
                )
            )
        names.setdefault(source.name, i)
        issues += _source_issues(source, where, mapping_where)
        out.append(source)
    if issues:
        raise MappingInvalid(issues)
    return out


def _source_issues(
    source: SourceConfig, where: Locator, mapping_where: Locator
) -> list[ConfigIssue]:
    out: list[ConfigIssue] = []
    needs_path = source.kind == QUEUE_LOG_FILE or source.kind in CSV_KINDS
    if needs_path and not source.path:
        out.append(where.issue((), f'missing key "path": {source.kind} reads a file'))
    if not needs_path and not (source.url or source.url_env):
        out.append(
            where.issue((), f'missing key "url" (or "url_env"): {source.kind} reads a database')
        )
    if source.kind in SQL_KINDS and not source.query:
        out.append(where.issue((), 'missing key "query": the SELECT that returns the rows'))
    if source.kind in SQL_KINDS and not source.watermark:
        out.append(where.issue((), 'missing key "watermark": a column that only grows'))
    if source.kind in (QUEUE_LOG_FILE, QUEUE_LOG_TABLE):
        if source.columns:
            out.append(where.issue(("columns",), f"{source.kind} needs no mapping"))
        return out
    out += source.issues(source.fact_kind, mapping_where)
    return out
