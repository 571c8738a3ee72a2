"""One source row -> our facts, through a mapping; or a reason why not.

Why separate from the readers: a CSV file, an SQL query and a quarantine replay all hand rows
(column -> value) to the same :class:`RowMapper`, so a row means the same thing whichever way it
arrived. A row that cannot be used raises :class:`RowError` whose message is the quarantine
reason, written for the person who will fix the mapping.

Personal data stops here: customer and caller ids become keyed hashes
(:func:`servicelevel.store.ingest.pseudonym`), a complaint's nature becomes a category
(:mod:`.categories`), columns the mapping does not name are never kept, and the copy of a
quarantined row holds only the columns the mapping reads, with ids already hashed
(:meth:`RowMapper.safe_raw`); pages show that copy masked, and to editors only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from servicelevel.collectors.mapped.categories import CategoryMatcher
from servicelevel.collectors.mapped.mapping import (
    FIELDS,
    OUTCOMES,
    SURVEY_IN_COMPLAINT,
    FieldInfo,
    FieldSpec,
    Mapping,
)
from servicelevel.store import bounds
from servicelevel.store.bounds import OutOfBounds
from servicelevel.store.ingest import CallFact, pseudonym
from servicelevel.store.runs import failure_text

HASHED = "pseudonym:"  # marks an id already replaced by its keyed hash (quarantine copies)
UNIT_SECONDS = {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0}
MAX_WAIT = timedelta(days=1)
_EPOCH_LIMIT = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second datetime holds
_HMS = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2})(?:[.,](\d+))?)?$")
_CURRENCY = re.compile(r"[\s€$£¥]|EUR|USD|GBP", re.IGNORECASE)

# Our field -> the store column, per table.
TABLES = {
    "surveys": ("survey_key", {"complaint": "complaint_key", "answered_at": "answered_at",
                               "score": "score"}),
    "complaints": ("complaint_key", {"customer": "customer_hash", "opened_at": "opened_at",
                                     "resolved_at": "resolved_at", "nature": "nature",
                                     "solution": "solution", "follow_up": "follow_up",
                                     "compensation": "compensation"}),
    "orders": ("order_key", {"customer": "customer_hash", "ordered_at": "ordered_at",
                             "product": "product", "units": "units"}),
    "returns": ("return_key", {"order": "order_key", "returned_at": "returned_at",
                               "product": "product", "units": "units"}),
}  # fmt: skip


class RowError(ValueError):
    """A row that cannot become a fact; the message is the quarantine reason.

    ``group`` is the reason without the row's own values, so a run's summary can count alike
    rows together ("entered_at is not a date-time (3)").
    """

    def __init__(self, message: str, group: str | None = None) -> None:
        super().__init__(message)
        self.group = (group or message.split(":")[0]).replace(":", ",")


@dataclass(slots=True)
class Fact:
    """A non-call fact, ready for :func:`servicelevel.store.facts.write_facts`."""

    table: str
    key: str
    values: dict[str, Any]


class RowMapper:
    """Applies one mapping to rows of one source."""

    def __init__(self, mapping: Mapping, kind: str, tz: ZoneInfo, source: str) -> None:
        self.mapping = mapping
        self.kind = kind
        self.tz = tz
        self.source = source
        self.fields = FIELDS[kind]
        self._customer_columns = {
            column: spec
            for name, spec in mapping.columns.items()
            if self.fields.get(name, FieldInfo("text")).type == "customer"
            for column in spec.sources()
        }
        # A complaint's nature is stored as a category, never as the source's text.
        self._categories = {
            name: CategoryMatcher(spec.categories or (), spec.values)
            for name, spec in mapping.columns.items()
            if self.fields.get(name, FieldInfo("text")).type == "category"
        }

    # -- the columns -----------------------------------------------------------------------
    def missing_columns(self, header: list[str]) -> list[str]:
        have = set(header)
        return [c for c in self.mapping.referenced_columns() if c not in have]

    def safe_raw(self, row: AnyMapping[str, Any]) -> str:
        """The quarantine copy of a row: only the columns the mapping reads, ids hashed."""
        kept: dict[str, Any] = {}
        for column in self.mapping.referenced_columns():
            if column not in row:
                continue
            value = row[column]
            if column in self._customer_columns and value is not None:
                text = str(value).strip()
                if text.startswith(HASHED) or self._is_empty(text, self._customer_columns[column]):
                    kept[column] = text
                else:
                    hashed = pseudonym(text)
                    kept[column] = f"{HASHED}{hashed}" if hashed else ""
                continue
            kept[column] = value
        return json.dumps(kept, ensure_ascii=False, default=str)

    # -- one row ---------------------------------------------------------------------------
    def map(self, row: AnyMapping[str, Any]) -> list[CallFact | Fact]:
        """The facts in ``row``; RowError (the quarantine reason) when there are none.

        Whatever else goes wrong with one row's values (an overflow, a conversion the checks
        did not foresee) is that row's quarantine reason too: one row never stops the batch.
        """
        try:
            return self._map(row)
        except RowError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise RowError(f"the row could not be read: {failure_text(exc)}",
                           "the row could not be read") from None  # fmt: skip

    def _map(self, row: AnyMapping[str, Any]) -> list[CallFact | Fact]:
        for rule in self.mapping.skip:
            if rule.matches(row):
                raise RowError(
                    f"skipped by the mapping: {rule.reason}",
                    f"skipped by the mapping ({rule.reason})",
                )
        values = {
            name: self._value(name, spec, self.fields[name], row)
            for name, spec in self.mapping.columns.items()
        }
        for name, info in self.fields.items():
            if info.required and values.get(name) is None:
                spec = self.mapping.columns[name]
                raise RowError(f"{name} is empty ({spec.describe()})")
        if self.kind == "calls":
            return [self._call(values)]
        _, columns = TABLES[self.kind]
        out: list[CallFact | Fact] = []
        stored = {column: values.get(name) for name, column in columns.items()}
        if self.kind in ("orders", "returns") and stored["units"] is None:
            stored["units"] = 1
        if self.kind == "complaints":
            opened, resolved = stored["opened_at"], stored["resolved_at"]
            if resolved is not None and resolved < opened:
                if not self.mapping.clamp_negative_durations:
                    raise RowError(
                        f"resolved_at {resolved:%Y-%m-%d %H:%M} is before opened_at "
                        f"{opened:%Y-%m-%d %H:%M}",
                        "resolved_at before opened_at",
                    )
                stored["resolved_at"] = opened
        out.append(Fact(self.kind, values["key"], stored))
        if self.kind == "complaints" and self.mapping.survey is not None:
            survey = self._survey(values, row)
            if survey is not None:
                out.append(survey)
        return out

    def _survey(self, complaint: dict[str, Any], row: AnyMapping[str, Any]) -> Fact | None:
        assert self.mapping.survey is not None
        got = {
            name: self._value(name, spec, SURVEY_IN_COMPLAINT[name], row)
            for name, spec in self.mapping.survey.items()
        }
        if got.get("score") is None:
            return None  # no answer for this complaint
        key = got.get("key")
        if key is None:
            try:
                key = bounds.fit_text("surveys.survey_key", f"{complaint['key']}:survey")
            except OutOfBounds as exc:
                raise RowError(
                    f"survey key: {exc.detail} (the complaint's key followed by :survey); "
                    "map a shorter one with [survey] key",
                    "survey key too long",
                ) from None
        answered = got.get("answered_at") or complaint.get("resolved_at") or complaint["opened_at"]
        return Fact(
            "surveys",
            key,
            {"complaint_key": complaint["key"], "answered_at": answered, "score": got["score"]},
        )

    def _call(self, v: dict[str, Any]) -> CallFact:
        entered: datetime = v["entered_at"]
        answered_at, left = v.get("answered_at"), v.get("left_queue_at")
        outcome = v.get("outcome") or ("answered" if answered_at is not None else "abandoned")
        wait = v.get("wait_s")
        end = (answered_at or left) if outcome == "answered" else left
        if wait is None:
            if end is None:
                needs = "answered_at or left_queue_at" if outcome == "answered" else "left_queue_at"
                raise RowError(f"wait unknown for an {outcome} call: {needs} and wait_s are empty")
            wait = (end - entered).total_seconds()
            if wait < 0:
                if not self.mapping.clamp_negative_durations:
                    raise RowError(
                        f"negative wait: left the queue {-wait:g} s before entering it "
                        "(set clamp_negative_durations = true if the source's clocks disagree)",
                        "negative wait",
                    )
                wait = 0.0
        if wait > MAX_WAIT.total_seconds():
            raise RowError(
                f"wait of {wait / 3600:.1f} h: check the date and time columns", "wait over a day"
            )
        fact = CallFact(
            source=self.source,
            callid=v["callid"],
            queue=v["queue"],
            entered_at=entered,
            outcome=outcome,
            wait_s=float(wait),
            ended_at=end if end is not None else entered + timedelta(seconds=wait),
            talk_s=v.get("talk_s"),
            agent=v.get("agent"),
            caller_hash=v.get("caller"),
        )
        try:
            return bounds.fit_call(fact)  # the check every collector's calls pass
        except OutOfBounds as exc:
            raise RowError(str(exc), exc.group) from None

    # -- one value -------------------------------------------------------------------------
    def _is_empty(self, value: Any, spec: FieldSpec | None) -> bool:
        if value is None:
            return True
        empties = spec.empty if spec is not None and spec.empty is not None else self.mapping.empty
        return str(value).strip() in empties

    def _raw(self, spec: FieldSpec, row: AnyMapping[str, Any]) -> Any:
        if spec.value is not None:
            return spec.value
        if spec.column is not None:
            value = row.get(spec.column)
            return None if self._is_empty(value, spec) else value
        if spec.first_of:
            for column in spec.first_of:
                value = row.get(column)
                if not self._is_empty(value, spec):
                    return value
            return None
        parts = [
            str(row.get(c)).strip() for c in spec.join or [] if not self._is_empty(row.get(c), spec)
        ]
        return spec.sep.join(parts) if parts else None

    def _value(self, name: str, spec: FieldSpec, info: FieldInfo, row: AnyMapping[str, Any]) -> Any:
        raw = self._raw(spec, row)
        if raw is None:
            return None
        if name in self._categories and spec.value is None:
            return self._categories[name].category(raw)
        if spec.values is not None:
            raw = self._lookup(name, spec, raw)
        try:
            return self._convert(name, spec, info, raw, row)
        except RowError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise RowError(
                f"{name}: {_show(raw)} in {spec.describe()}: {exc}", f"{name} unreadable"
            ) from None

    def _lookup(self, name: str, spec: FieldSpec, raw: Any) -> Any:
        assert spec.values is not None
        text = str(raw).strip()
        if text in spec.values:
            return spec.values[text]
        folded = {k.casefold(): v for k, v in spec.values.items()}
        if text.casefold() in folded:
            return folded[text.casefold()]
        known = ", ".join(spec.values)
        raise RowError(
            f"{name}: {_show(text)} in {spec.describe()} is not in its values ({known}); "
            "add it to the mapping",
            f"{name} not in its values",
        )

    def _convert(
        self, name: str, spec: FieldSpec, info: FieldInfo, raw: Any, row: AnyMapping[str, Any]
    ) -> Any:
        kind = info.type
        try:
            return self._checked(name, spec, info, raw, row)
        except OutOfBounds as exc:
            if kind in ("key", "text"):
                raise RowError(str(exc), exc.group) from None  # the value is too long to show
            hint = (
                "; if it means none, list it in the field's empty values"
                if kind == "datetime" and not info.required
                else ""
            )  # a "9999-12-31" that stands for "not yet"
            raise RowError(
                f"{name}: {_show(raw)} in {spec.describe()} is {exc.detail}{hint}", exc.group
            ) from None

    def _checked(
        self, name: str, spec: FieldSpec, info: FieldInfo, raw: Any, row: AnyMapping[str, Any]
    ) -> Any:
        """The value of one field, within the bounds of the store (or `OutOfBounds`)."""
        kind = info.type
        if kind == "datetime":
            try:
                moment = self._datetime(name, spec, raw, row)
            except OverflowError:  # a time zone shift past year 9999
                raise OutOfBounds(
                    name, f"out of range ({bounds.SPAN})", f"{name} out of range"
                ) from None
            return bounds.check_time(moment, name)
        if kind == "seconds":
            return bounds.check_seconds(_seconds(raw, spec.unit, self.mapping.decimal), name)
        if kind == "units":
            return bounds.check_whole(info.column, _number(raw, self.mapping.decimal), name)
        if kind == "money":
            return bounds.check_number(
                _number(_CURRENCY.sub("", str(raw)), self.mapping.decimal), name
            )
        if kind == "score":
            score = bounds.check_number(_number(raw, self.mapping.decimal), name)
            if score != int(score) or not 1 <= score <= 5:
                raise RowError(
                    f"{name}: {_show(raw)} in {spec.describe()} is not a score from 1 to 5",
                    f"{name} not a score from 1 to 5",
                )
            return int(score)
        if kind == "outcome":
            outcome = str(raw).strip().lower()
            if outcome not in OUTCOMES:
                raise RowError(
                    f"{name}: {_show(raw)} in {spec.describe()} is not an outcome "
                    f"({', '.join(OUTCOMES)}); map it with values",
                    f"{name} not an outcome",
                )
            return outcome
        text = str(raw).strip()
        if kind == "customer":
            return text[len(HASHED) :] if text.startswith(HASHED) else pseudonym(text)
        # A key too long for its column quarantines the row; other text is cut (bounds).
        return bounds.fit_text(info.column, text, name) if info.column else text

    def _datetime(
        self, name: str, spec: FieldSpec, raw: Any, row: AnyMapping[str, Any]
    ) -> datetime:
        if isinstance(raw, datetime):
            return self._aware(raw)
        if isinstance(raw, date):
            return self._aware(datetime.combine(raw, time()))
        text = str(raw).strip()
        if spec.date is not None:
            day_raw = row.get(spec.date)
            if self._is_empty(day_raw, spec):
                raise RowError(
                    f"{name}: the date column {spec.date} is empty", f"{name} without a date"
                )
            day = self._date(name, spec.date, day_raw)
            clock = _clock(text, spec.format or self.mapping.time_format)
            if clock is None:
                raise RowError(
                    f"{name}: {_show(text)} in {spec.describe()} is not a time of day"
                    + (
                        f" ({spec.format or self.mapping.time_format})"
                        if spec.format or self.mapping.time_format
                        else ""
                    ),
                    f"{name} not a time of day",
                )
            return self._aware(datetime.combine(day, clock))
        fmt = spec.format or self.mapping.datetime_format
        if fmt in ("epoch", "epoch_ms"):
            seconds = float(text) / (1000 if fmt == "epoch_ms" else 1)
            if not (math.isfinite(seconds) and 0 <= seconds <= _EPOCH_LIMIT):
                raise OverflowError("epoch out of range")  # else ValueError, even OSError
            return datetime.fromtimestamp(seconds, UTC)
        if fmt:
            try:
                return self._aware(datetime.strptime(text, fmt))
            except ValueError:
                pass
        else:
            try:
                return self._aware(datetime.fromisoformat(text))
            except ValueError:
                pass
        if self.mapping.date_format:
            try:
                return self._aware(datetime.strptime(text, self.mapping.date_format))
            except ValueError:
                pass
        expected = fmt or "ISO 8601, e.g. 2024-03-01 14:05:00"
        if self.mapping.date_format:
            expected += f" or {self.mapping.date_format}"
        raise RowError(
            f"{name}: {_show(text)} in {spec.describe()} is not a date-time ({expected})",
            f"{name} not a date-time",
        )

    def _date(self, name: str, column: str, raw: Any) -> date:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = str(raw).strip()
        try:
            if self.mapping.date_format:
                return datetime.strptime(text, self.mapping.date_format).date()
            return date.fromisoformat(text)
        except ValueError:
            expected = self.mapping.date_format or "ISO 8601, e.g. 2024-03-01"
            raise RowError(
                f"{name}: {_show(text)} in column {column} is not a date ({expected})",
                f"{name} not a date",
            ) from None

    def _aware(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC)


def _show(value: Any) -> str:
    text = str(value)
    return json.dumps(text[:40] + ("..." if len(text) > 40 else ""), ensure_ascii=False)


def _number(raw: Any, decimal_mark: str) -> float:
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        return float(raw)
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if decimal_mark == ",":  # 1.234,5 -> 1234.5
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", ""))  # 1,234.5 -> 1234.5


def _seconds(raw: Any, unit: str, decimal_mark: str) -> float:
    if isinstance(raw, timedelta):
        return raw.total_seconds()
    text = str(raw).strip()
    match = _HMS.match(text)
    if match:  # H:MM:SS (or MM:SS)
        a, b, c, frac = match.groups()
        if c is None:
            return int(a) * 60 + int(b)
        return int(a) * 3600 + int(b) * 60 + int(c) + (float(f"0.{frac}") if frac else 0.0)
    return _number(text, decimal_mark) * UNIT_SECONDS[unit]


def _clock(text: str, fmt: str | None) -> time | None:
    if fmt:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            return None
    match = _HMS.match(text)
    if not match:
        return None
    a, b, c, frac = match.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")[:6])
        return time(int(a), int(b), int(c or 0), micro)
    except ValueError:
        return None
