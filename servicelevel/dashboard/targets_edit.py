"""Change a target from the dashboard: rewrite targets.toml in place, validate, audit.

Why tomlkit and not a re-dump: people keep notes in targets.toml; only the edited values change,
every comment and blank line stays. The new text is validated with the same parser as
``servicelevel targets check`` before anything is written, so a broken file is never saved. The
audit row (who, when, old -> new, effective from) is written in the same transaction as the file
replacement, and it is also what :mod:`servicelevel.config.history` reads to keep past windows
judged by the values that applied then.

If the file changed on disk since the form was loaded (someone edited it by hand), the save is
refused rather than silently overwriting their change.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.config import parse_targets
from servicelevel.config.history import EDITABLE_FIELDS, editable_values, record_edit


@dataclass
class EditResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.old != self.new


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(value: Any) -> Any:
    """80.0 is written 80, as a person would."""
    if isinstance(value, float) and value.is_integer():
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
    values: dict[str, Any],
    *,
    effective_from: date,
    actor: str,
    expected_hash: str | None = None,
) -> EditResult:
    """Validate and write one target's new values, and audit the change."""
    text = path.read_text(encoding="utf-8-sig")
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
    # Only the keys that really change are written: an unchanged default stays unwritten.
    changes = {
        key: value
        for key, value in values.items()
        if key in EDITABLE_FIELDS and value is not None and value != getattr(old_target, key)
    }
    new_text = rewrite(text, target_id, changes)
    result = parse_targets(new_text, filename=path.name)
    if not result.ok or result.targets is None:
        return EditResult(False, [str(e) for e in result.errors])
    old, new = editable_values(old_target), editable_values(result.targets.target(target_id))
    if old == new:
        return EditResult(True, [], old, new)
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
    return EditResult(True, [], old, new)


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
