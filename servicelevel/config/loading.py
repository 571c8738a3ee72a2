"""Reading targets.toml: every problem comes back as a located issue, never raised.

Analysts edit this file by hand, so bad content is data, not a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from pydantic import (
    ValidationError,
)
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.config.issues import ConfigIssue
from servicelevel.config.models import Targets
from servicelevel.config.translate import validation_issues
from servicelevel.errors import TargetsInvalid


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
        return LoadResult(None, validation_issues(e, text, filename, Targets))
    return LoadResult(targets, [])


def _syntax_message(e: ParseError) -> str:
    detail = re.sub(r"\s+at line \d+ col \d+$", "", str(e)).rstrip(".")
    if "'\\x00'" in detail:  # tomlkit's way of saying it ran out of text
        detail = "unexpected end of file (is a bracket or quote left open?)"
    return f"not valid TOML at column {e.col + 1}: {detail}"
