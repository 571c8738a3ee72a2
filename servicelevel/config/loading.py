"""Reading targets.toml: every problem comes back as a located issue, never raised.

Analysts edit this file by hand, so bad content is data, not a crash. A file over
`MAX_TARGETS_BYTES` is refused before it is read: parsing takes seconds per MiB (a 30 MB
file took 40 s), and a real policy is a few KiB, so a bigger file is a mistake (a log pasted
in, the wrong file), not a policy.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from pydantic import (
    ValidationError,
)
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.config.issues import ConfigIssue
from servicelevel.config.lint import fraction_warnings
from servicelevel.config.models import Targets
from servicelevel.config.translate import validation_issues
from servicelevel.errors import TargetsInvalid

MIB = 1024 * 1024
MAX_TARGETS_BYTES = MIB  # documented in docs/targets.md ("Size limit")


@dataclass
class LoadResult:
    targets: Targets | None
    errors: list[ConfigIssue] = field(default_factory=list)
    # Valid but probably not meant (see servicelevel.config.lint); never stop a load.
    warnings: list[ConfigIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.targets is not None and not self.errors

    def unwrap(self) -> Targets:
        """The targets, or `TargetsInvalid` carrying every issue."""
        if self.targets is None or self.errors:
            raise TargetsInvalid(self.errors)
        return self.targets


# --- loading ---------------------------------------------------------------------------


def too_big(size: int) -> str:
    """The message for a file or text of ``size`` bytes over the limit."""
    limit = f"{MAX_TARGETS_BYTES / MIB:g} MiB"
    shown = f"{size / MIB:.1f} MiB"
    if shown == f"{MAX_TARGETS_BYTES / MIB:.1f} MiB":  # "1.0 MiB; the limit is 1 MiB" reads wrong
        return f"file is {size:,} bytes; the limit is {limit} ({MAX_TARGETS_BYTES:,} bytes)"
    return f"file is {shown}; the limit is {limit}"


def read_targets_text(path: str | Path) -> tuple[str | None, list[ConfigIssue]]:
    """The file's text, or the issue saying why it cannot be had (missing, too big, not UTF-8).

    The size is checked before reading, and the read itself stops one byte past the limit, so
    a file that grows after the check (or a device posing as a file) is refused just the same.
    """
    p = Path(path)

    def issue(message: str, line: int | None = None) -> tuple[None, list[ConfigIssue]]:
        return None, [ConfigIssue(str(path), line, "", message)]

    try:
        with p.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_TARGETS_BYTES:
                return issue(too_big(size))
            data = handle.read(MAX_TARGETS_BYTES + 1)
    except FileNotFoundError:
        return issue("file not found")
    except OSError as e:
        return issue(f"cannot read the file: {e.strerror or e}")
    if len(data) > MAX_TARGETS_BYTES:
        return issue(too_big(len(data)))
    try:
        text = data.decode("utf-8-sig")  # -sig: editors on Windows add a BOM
    except UnicodeDecodeError as e:
        # The line, as every other issue has: an editor shows lines, not byte offsets.
        line = data.count(b"\n", 0, e.start) + 1
        return issue(f"not UTF-8 text (byte {e.start}); save the file as UTF-8", line)
    return text.replace("\r\n", "\n").replace("\r", "\n"), []  # as text-mode reading does


def load_targets(path: str | Path) -> LoadResult:
    """Read and validate a targets file; problems come back as issues, never raised."""
    text, issues = read_targets_text(path)
    if text is None:
        return LoadResult(None, issues)
    result = parse_targets(text, filename=str(path))
    if result.targets is not None:
        result.targets._path = Path(path)
    return result


def parse_targets(text: str, filename: str = "targets.toml") -> LoadResult:
    """Validate targets.toml text: the one check behind the loader, `targets check` and the
    Targets page's save."""
    # A character is at most 4 bytes: short text needs no encoding to know it fits.
    size = (
        len(text) if len(text) <= MAX_TARGETS_BYTES // 4 else len(text.encode("utf-8", "replace"))
    )
    if size > MAX_TARGETS_BYTES:
        return LoadResult(None, [ConfigIssue(filename, None, "", too_big(size))])
    try:
        data = tomlkit.parse(text).unwrap()
    except ParseError as e:
        return LoadResult(None, [ConfigIssue(filename, e.line, "", _syntax_message(e))])
    except TOMLKitError as e:  # e.g. a key given twice: tomlkit says which, not where
        message = f"not valid TOML: {e}"
        return LoadResult(None, [ConfigIssue(filename, _tomllib_line(text), "", message)])
    try:
        targets = Targets.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as e:
        return LoadResult(None, validation_issues(e, text, filename, Targets))
    return LoadResult(targets, [], fraction_warnings(targets, text, filename))


def _tomllib_line(text: str) -> int | None:
    """The line the standard library's parser stops at, for errors tomlkit does not locate."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"at line (\d+)", str(e))
        return int(found.group(1)) if found else None
    return None


def _syntax_message(e: ParseError) -> str:
    detail = re.sub(r"\s+at line \d+ col \d+$", "", str(e)).rstrip(".")
    if "'\\x00'" in detail:  # tomlkit's way of saying it ran out of text
        detail = "unexpected end of file (is a bracket or quote left open?)"
    return f"not valid TOML at column {e.col + 1}: {detail}"
