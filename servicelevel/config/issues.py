"""Located problems in a file people edit: the issue type and the helpers validators raise.

Every config reader (targets.toml, ``[report]``/``[alerts]``, source mappings) reports the same
kind of `ConfigIssue`, so the CLI, the dashboard banner and the Targets page word them alike.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

_BUILT_IN_TYPES = frozenset(get_args(ErrorType))


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in targets.toml, located for a person to fix.

    A *warning* is a value that is valid but probably not meant (``minimum = 0.8`` for a
    percentage): ``targets check`` prints it and still passes, unless ``--strict``.
    """

    file: str
    line: int | None
    key: str
    message: str
    suggestion: str | None = None
    severity: str = "error"  # error | warning

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.is_warning:
            where += ": warning"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        if self.suggestion is not None:
            text += f' (did you mean "{self.suggestion}"?)'
        return text


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
    """A value as it is written in TOML: text in double quotes, true and false in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
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


def with_more_errors(
    error: ValidationError | None,
    title: str,
    more: Sequence[tuple[tuple[str | int, ...], str]],
) -> ValidationError:
    """``error``'s errors plus ``more`` ((location, message) pairs) as one ValidationError.

    Why: a check over several tables (unique ids) must not wait until every table is valid; a
    model validator raising this reports all of them in the one pass `targets check` makes.
    """
    details: list[InitErrorDetails] = []
    for err in error.errors() if error is not None else []:
        ctx = err.get("ctx") or {}
        kind: Any = err["type"]
        if kind == "servicelevel":
            kind = PydanticCustomError("servicelevel", "{message}", ctx)
        elif kind not in _BUILT_IN_TYPES:  # another custom error: keep its words
            kind = PydanticCustomError("servicelevel", "{message}", {"message": err["msg"]})
        detail = InitErrorDetails(type=kind, loc=tuple(err["loc"]), input=err.get("input"))
        if ctx and isinstance(kind, str):
            detail["ctx"] = ctx
        details.append(detail)
    for loc, message in more:
        ctx = {"message": message, "suggestion": None, "at": (), "missing": False}
        custom = PydanticCustomError("servicelevel", "{message}", ctx)
        details.append(InitErrorDetails(type=custom, loc=loc, input=None))
    return ValidationError.from_exception_data(title, details)
