"""Target history: which minimum and ideal applied to a past window.

Why: a supervisor who raises a minimum from 80 % to 85 % on 1 March must not turn February's
green days red. Each edit made on the dashboard's Targets page is one ``audit`` row (action
``target.edit``) holding the target id, the date it takes effect and the old and new values of
the editable fields. The file always holds the newest definition; the audit rows say what applied
before each change. Replaying them gives, per target, segments "until day D, these values".

A window belongs to the version in force on its first local day (a week that starts before a
change keeps the old values for the whole week). Hand edits of targets.toml leave no audit row,
so they apply to every window, past ones included, as before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from servicelevel.config import Target
from servicelevel.config.models import TOML_INT_MAX
from servicelevel.store.schema import Audit

ACTION = "target.edit"
EDITABLE_FIELDS = ("name", "minimum", "ideal", "min_volume")


@dataclass(frozen=True, slots=True)
class Segment:
    """``values`` applied to windows whose first local day is before ``until``."""

    until: date
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Edit:
    """One recorded change of a target (an ``audit`` row)."""

    id: int
    at: datetime
    actor: str
    target_id: str
    effective_from: date
    old: Mapping[str, Any]
    new: Mapping[str, Any]


History = dict[str, list[Segment]]


def editable_values(target: Target) -> dict[str, Any]:
    return {name: getattr(target, name) for name in EDITABLE_FIELDS}


def _number(value: object) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int too big for a float
        return False


# What a target's validation guarantees of each editable value: an audit row replayed into a
# target (``version_on`` copies without validating) must hold no less.
_VALID: dict[str, Any] = {
    "name": lambda v: isinstance(v, str) and bool(v),
    "minimum": _number,
    "ideal": _number,
    "min_volume": lambda v: (
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= TOML_INT_MAX
    ),
}


def _editable(values: object) -> dict[str, Any]:
    """The editable values of an audit row; ValueError if one could not be a target's."""
    if not isinstance(values, dict):
        raise ValueError("not a table of values")
    kept = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key, value in kept.items():
        if not _VALID[key](value):
            raise ValueError(f"{key} = {value!r} is not a valid value")
    return kept


def record_edit(
    session: Session,
    *,
    actor: str,
    target_id: str,
    effective_from: date,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    at: datetime | None = None,
) -> None:
    """Add the audit row of one edit (the caller owns the transaction)."""
    detail = {
        "target": target_id,
        "effective_from": effective_from.isoformat(),
        "old": dict(old),
        "new": dict(new),
    }
    # allow_nan=False: the row must be JSON any reader takes, and a NaN here would come back
    # as a minimum in every later evaluation; values come from validated targets, so never.
    text = json.dumps(detail, allow_nan=False)
    session.execute(
        insert(Audit).values(at=at or datetime.now(UTC), actor=actor, action=ACTION, detail=text)
    )


def load_edits(session: Session, target_id: str | None = None) -> list[Edit]:
    """Every recorded target edit, oldest first."""
    rows = session.execute(
        select(Audit).where(Audit.action == ACTION).order_by(Audit.at, Audit.id)
    ).scalars()
    edits = []
    for row in rows:
        try:
            detail = json.loads(row.detail)
            edit = Edit(
                id=row.id,
                at=row.at,
                actor=row.actor,
                target_id=str(detail["target"]),
                effective_from=date.fromisoformat(detail["effective_from"]),
                old=_editable(detail["old"]),
                new=_editable(detail["new"]),
            )
        except (ValueError, KeyError, TypeError):
            continue  # a hand-made row we cannot read (or a NaN minimum) changes nothing
        if target_id is None or edit.target_id == target_id:
            edits.append(edit)
    return edits


def build_history(edits: Iterable[Edit]) -> History:
    """Replay edits (oldest first) into segments per target.

    An edit effective from D means "from D on, the file's new values". Before D nothing changes,
    so the segments that reached past D are cut at D, and if the file's old values were in force
    at D they become a segment ending at D.
    """
    history: History = {}
    for edit in edits:
        segments = history.get(edit.target_id, [])
        day = edit.effective_from
        kept = [s for s in segments if s.until <= day]
        later = [s for s in segments if s.until > day]
        start = max((s.until for s in kept), default=None)
        if start is None or start < day:
            values = min(later, key=lambda s: s.until).values if later else edit.old
            kept.append(Segment(day, dict(values)))
        history[edit.target_id] = sorted(kept, key=lambda s: s.until)
    return history


def load_history(engine: Engine) -> History:
    with Session(engine) as session:
        return build_history(load_edits(session))


def version_on(target: Target, history: History, day: date) -> Target:
    """The target as it applied on local ``day``."""
    for segment in history.get(target.id, ()):
        if day < segment.until:
            return target.model_copy(update=dict(segment.values))
    return target
