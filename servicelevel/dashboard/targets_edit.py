"""Change a target from the dashboard: rewrite targets.toml in place, validate, audit.

Why tomlkit and not a re-dump: people keep notes in targets.toml; only the edited values change,
every comment and blank line stays. The new text is validated with the same parser as
``servicelevel targets check`` before anything is written, so a broken file is never saved. The
audit row (who, when, old -> new, effective from) is written in the same transaction as the file
replacement, and it is also what :mod:`servicelevel.config.history` reads to keep past windows
judged by the values that applied then.

If the file changed on disk since the form was loaded (someone edited it by hand), the save is
refused rather than silently overwriting their change. A save request is whatever a browser, or
anyone, posts: `save_form` takes it as such (NaN, text, huge numbers, no file hash at all) and
answers every mistake as an error to show, never an exception.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tomlkit.exceptions import TOMLKitError

from servicelevel.config import parse_targets
from servicelevel.config.history import EDITABLE_FIELDS, editable_values, record_edit
from servicelevel.config.loading import read_targets_text

LABELS = {"name": "Name", "minimum": "Minimum", "ideal": "Ideal", "min_volume": "Min. volume"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T[\d:.]*)?$")  # what the date picker sends


@dataclass
class EditResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)
    # Saved, but probably not meant (minimum = 0.8 for a percentage): the checker's warnings.
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(value: Any) -> Any:
    """80.0 is written 80, as a person would (only where the float is that integer exactly:
    1e300 stays 1e300, not a 301-digit integer that no TOML reader takes)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def rewrite(text: str, target_id: str, values: dict[str, Any]) -> str:
    """``text`` with the editable keys of one [[target]] set to ``values``."""
    document = tomlkit.parse(text)
    tables = document.get("target")
    if tables is None:
        raise KeyError("no [[target]] tables in the file")
    for table in tables:
        if table.get("id") == target_id:
            for key in EDITABLE_FIELDS:
                if key in values and values[key] is not None:
                    table[key] = _number(values[key])
            return tomlkit.dumps(document)
    raise KeyError(f'no target "{target_id}" in the file')


def save_edit(
    engine: Engine,
    path: Path,
    target_id: str,
    values: Mapping[str, Any],
    *,
    effective_from: date,
    actor: str,
    expected_hash: str | None = None,
) -> EditResult:
    """Validate and write one target's new values, and audit the change.

    A value of None leaves the key as it is; any other value is written into the file's text as
    given, and that text is checked by `parse_targets`, as ``servicelevel targets check`` would
    check it, so a wrong value gets the checker's located message. ``expected_hash`` None skips
    the "changed on disk" check: for code that holds the file itself; a request never may (see
    `save_form`).
    """
    text, issues = read_targets_text(path)
    if text is None:
        return EditResult(False, [str(e) for e in issues])
    if expected_hash is not None and text_hash(text) != expected_hash:
        return EditResult(
            False,
            [
                f"{path.name} changed on disk since this page was loaded; "
                "reload the page and make the change again."
            ],
        )
    current = parse_targets(text, filename=path.name)
    if current.targets is None:
        return EditResult(False, [str(e) for e in current.errors])
    try:
        old_target = current.targets.target(target_id)
    except KeyError as exc:
        return EditResult(False, [str(exc).strip("'\"")])
    not_single = [
        f"{LABELS[key]}: expected a single value, got {type(value).__name__}"
        for key, value in values.items()
        if key in EDITABLE_FIELDS and not isinstance(value, str | int | float | None)
    ]
    if not_single:
        return EditResult(False, not_single)
    # Only the keys that really change are written: an unchanged default stays unwritten.
    changes = {
        key: value
        for key, value in values.items()
        if key in EDITABLE_FIELDS and value is not None and value != getattr(old_target, key)
    }
    try:
        new_text = rewrite(text, target_id, changes)
        new_text.encode("utf-8")  # a lone surrogate from JSON text cannot be saved
    except (TOMLKitError, ValueError, TypeError) as exc:
        return EditResult(False, [f"these values cannot be written to {path.name}: {exc}"])
    result = parse_targets(new_text, filename=path.name)
    if not result.ok or result.targets is None:
        return EditResult(False, [str(e) for e in result.errors])
    old, new = editable_values(old_target), editable_values(result.targets.target(target_id))
    index = next(i for i, t in enumerate(result.targets.targets) if t.id == target_id)
    warnings = [str(w) for w in result.warnings if w.key.startswith(f"target[{index + 1}].")]
    if old == new:
        return EditResult(True, [], old, new, warnings)
    with Session(engine) as session, session.begin():
        record_edit(
            session,
            actor=actor,
            target_id=target_id,
            effective_from=effective_from,
            old=old,
            new=new,
        )
        _replace(path, new_text)  # an error here rolls the audit row back
    return EditResult(True, [], old, new, warnings)


def effective_day(value: object) -> date | None:
    """The day a change takes effect, from the date picker's ``YYYY-MM-DD[T...]``; else None."""
    if not isinstance(value, str) or not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:  # 2026-02-30
        return None


def _blank_is_none(value: Any) -> Any:
    """An emptied field means "leave it", as a field left alone does."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def save_form(
    engine: Engine,
    path: Path,
    *,
    target_id: Any,
    values: Mapping[str, Any],
    effective: Any,
    file_hash: Any,
    actor: str,
) -> tuple[EditResult, date | None]:
    """The Targets page's Save with the values as posted; every mistake is an error to show.

    The file hash is required: it is what says the page showed the file being changed, so a
    request without one is refused, not saved over whatever the file now holds.
    """
    if not isinstance(file_hash, str) or not file_hash:
        _text, issues = read_targets_text(path)
        reason = [str(e) for e in issues] or [
            f"this page does not say which version of {path.name} it was loaded from; "
            "reload the page and make the change again."
        ]
        return EditResult(False, reason), None
    if not isinstance(target_id, str) or not target_id:
        return EditResult(False, ["Choose the target to change."]), None
    if effective is None or effective == "":
        return EditResult(False, ["Choose the day the change takes effect."]), None
    day = effective_day(effective)
    if day is None:
        shown = effective if isinstance(effective, str) else type(effective).__name__
        return EditResult(
            False, [f"Effective from: expected a day as YYYY-MM-DD, got {shown[:40]!r}"]
        ), None
    cleaned = {key: _blank_is_none(values.get(key)) for key in EDITABLE_FIELDS if key in values}
    result = save_edit(
        engine,
        path,
        target_id,
        cleaned,
        effective_from=day,
        actor=actor,
        expected_hash=file_hash,
    )
    return result, day


def _replace(path: Path, text: str) -> None:
    """Write next to the file and rename over it: a reader never sees half a file."""
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
