"""Located problems in a file people edit: the issue type and the helpers validators raise.

Every config reader (targets.toml, ``[report]``/``[alerts]``, source mappings) reports the same
kind of `ConfigIssue`, so the CLI, the dashboard banner and the Targets page word them alike.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError


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
