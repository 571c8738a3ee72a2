"""The answers of a self-assessment, from a record file or the dashboard's form, checked once.

A record file (``servicelevel assessment record FILE.toml``)::

    date = "2026-12-01"
    author = "owner"
    [ratings]            # one rating 1-5 per statement, in the order of that area's statements
    culture = [5, 4, 4, 3]
    ...

:func:`check_answers` is the one check behind the command and the Assessment page's Save: every
problem (a missing area, a wrong count, a rating outside 1-5 or not a whole number, a bad
date) comes back as a located issue, worded like the targets file's
(``answers.toml:5: ratings.culture[2]: ...``), all of them in one pass, and nothing is stored
unless there is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.assessment.scoring import (
    HIGHEST_RATING,
    LOWEST_RATING,
    RATING_WORDS,
    Assessment,
)
from servicelevel.config.assessment import AREAS, Questionnaire
from servicelevel.config.issues import ConfigIssue, _show, _suggest
from servicelevel.config.loading import _syntax_message, read_targets_text
from servicelevel.config.translate import located_issue
from servicelevel.errors import ConfigError

KEYS = ("date", "author", "ratings")
MAX_AUTHOR_CHARS = 120  # the column's size


class AssessmentInvalid(ConfigError):
    """A record file (or the form) has one or more problems; `errors` lists them, located."""

    def __init__(self, errors: list[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid assessment")


class _Issues:
    """Collects located issues for one file."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename, self.text = filename, text
        self.found: list[ConfigIssue] = []

    def add(self, loc: tuple[str | int, ...], message: str, suggestion: str | None = None) -> None:
        self.found.append(located_issue(self.text, self.filename, loc, message, suggestion))

    def sorted(self) -> list[ConfigIssue]:
        return sorted(self.found, key=lambda i: (i.line is None, i.line or 0))


def _shown(value: object) -> str:
    """A value as written in TOML: ``true``, not Python's ``True``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _show(value)


def _day(value: object, issues: _Issues, today: date | None) -> date | None:
    if value is None:
        issues.add(("date",), 'missing required key "date": the day of the assessment, '
                   'e.g. date = "2026-12-01"')  # fmt: skip
        return None
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):  # a TOML date
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
        except ValueError:
            day = None
    if day is None:
        issues.add(("date",), f'{_shown(value)} is not a date; expected "YYYY-MM-DD", '
                   'e.g. "2026-12-01"')  # fmt: skip
        return None
    if today is not None and day > today:
        issues.add(("date",), f"{day.isoformat()} is after today ({today.isoformat()}); "
                   "expected the day the statements were rated")  # fmt: skip
        return None
    return day


def _author(value: object, issues: _Issues) -> str | None:
    if value is None:
        issues.add(("author",), 'missing required key "author": who rated the statements, '
                   'e.g. author = "owner"')  # fmt: skip
        return None
    if not isinstance(value, str):
        issues.add(("author",), f'expected text in double quotes, e.g. "owner", got '
                   f"{_shown(value)}")  # fmt: skip
        return None
    name = " ".join(value.split())
    if not name:
        issues.add(("author",), "must not be empty")
        return None
    if len(name) > MAX_AUTHOR_CHARS:
        issues.add(("author",), f"expected at most {MAX_AUTHOR_CHARS} characters, got {len(name)}")
        return None
    return name


def _example(count: int) -> str:
    return "[" + ", ".join(str(4 if i % 2 else 5) for i in range(count)) + "]"


def _area(area: str, value: object, count: int, issues: _Issues) -> tuple[int, ...] | None:
    """The ratings of one area, or None after adding its issues (count and each bad rating)."""
    ratings = f"{count} rating{'s' if count != 1 else ''}"
    what = f"{ratings}, one per statement of {AREAS[area]}"
    if value is None:
        issues.add(("ratings", area), f'missing required key "{area}": {what}, '
                   f"e.g. {area} = {_example(count)}")  # fmt: skip
        return None
    if not isinstance(value, list):
        issues.add(("ratings", area),
                   f"expected a list of {ratings} in square brackets, one per statement of "
                   f"{AREAS[area]}, e.g. {_example(count)}, got {_shown(value)}")  # fmt: skip
        return None
    ok = True
    if len(value) != count:
        issues.add(("ratings", area), f"expected {what}, got {len(value)}")
        ok = False
    scale = (f"{LOWEST_RATING} ({RATING_WORDS[LOWEST_RATING]}) to "
             f"{HIGHEST_RATING} ({RATING_WORDS[HIGHEST_RATING]})")  # fmt: skip
    for i, rating in enumerate(value):
        if rating is None:  # the form's unanswered statement (TOML has no null)
            issues.add(("ratings", area, i), f"not answered: choose from {scale}")
            ok = False
        # bool is an int in Python: true is not a rating.
        elif type(rating) is not int or not LOWEST_RATING <= rating <= HIGHEST_RATING:
            issues.add(("ratings", area, i),
                       f"expected a whole number from {scale}, got {_shown(rating)}")  # fmt: skip
            ok = False
    return tuple(value) if ok else None


def _unknown_keys(
    table: Mapping[str, Any],
    allowed: tuple[str, ...],
    at: tuple[str, ...],
    what: str,
    issues: _Issues,
) -> set[str]:
    """Add an issue per key not in ``allowed``; returns the key paths their typos stand for."""
    misspelt = set()
    for key in table:
        if key not in allowed:
            nearest = _suggest(key, allowed)
            issues.add((*at, key), f'unknown {what} "{key}"; expected one of {", ".join(allowed)}',
                       nearest)  # fmt: skip
            if nearest is not None and nearest not in table:
                misspelt.add(".".join((*at, nearest)))
    return misspelt


def check_answers(
    data: Mapping[str, Any],
    questionnaire: Questionnaire,
    *,
    filename: str,
    text: str = "",
    today: date | None = None,
) -> tuple[Assessment | None, list[ConfigIssue]]:
    """The assessment ``data`` holds (``date``, ``author``, ``ratings``), or every problem.

    ``text`` is the file's text, to put line numbers on the issues (the form has none);
    ``today``, when given, refuses a date after it (a typo such as 2062 for 2026).
    """
    issues = _Issues(filename, text)
    misspelt = _unknown_keys(data, KEYS, (), "key", issues)
    day = _day(data.get("date"), issues, today)
    author = _author(data.get("author"), issues)
    ratings: dict[str, tuple[int, ...]] = {}
    table = data.get("ratings")
    statements = questionnaire.statements()
    if table is None:
        issues.add(("ratings",), 'missing required key "ratings": a [ratings] table with '
                   "one list of ratings per area: " + ", ".join(AREAS))  # fmt: skip
    elif not isinstance(table, Mapping):
        issues.add(("ratings",), "expected a table: a [ratings] section with one list per area, "
                   f"got {_shown(table)}")  # fmt: skip
    else:
        misspelt |= _unknown_keys(table, tuple(AREAS), ("ratings",), "area", issues)
        for area in AREAS:
            got = _area(area, table.get(area), len(statements[area]), issues)
            if got is not None:
                ratings[area] = got
    # One typo, one issue: "autor" is unknown, and "missing author" would say it again.
    issues.found = [
        i
        for i in issues.found
        if not (i.message.startswith("missing required key") and i.key in misspelt)
    ]
    if issues.found or day is None or author is None or len(ratings) != len(AREAS):
        return None, issues.sorted()
    return Assessment(day, author, statements, ratings), []


def parse_answers(
    text: str, questionnaire: Questionnaire, *, filename: str, today: date | None = None
) -> tuple[Assessment | None, list[ConfigIssue]]:
    """A record file's text: TOML first (a syntax error at its line), then `check_answers`."""
    try:
        data = tomlkit.parse(text).unwrap()
    except ParseError as e:
        return None, [ConfigIssue(filename, e.line, "", _syntax_message(e))]
    except TOMLKitError as e:
        return None, [ConfigIssue(filename, None, "", f"not valid TOML: {e}")]
    return check_answers(data, questionnaire, filename=filename, text=text, today=today)


def read_answers(
    path: str | Path, questionnaire: Questionnaire, *, today: date | None = None
) -> Assessment:
    """The assessment in a record file, or `AssessmentInvalid` with every located issue.

    The file is read as the targets file is (at most 1 MiB, UTF-8, a BOM allowed), so a wrong
    file (a log, a spreadsheet) is refused in one line.
    """
    text, issues = read_targets_text(path)
    if text is not None:
        found, issues = parse_answers(text, questionnaire, filename=str(path), today=today)
        if found is not None:
            return found
    raise AssessmentInvalid(issues)
