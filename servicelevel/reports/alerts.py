"""Breach alerts: a message when a target goes below its minimum, and one when it recovers.

A KPI that wobbles around its minimum must not send ten messages. Each check (the scheduler
runs :func:`check` every ``check_every_minutes``) classifies every watched (target, queue)
as *bad* (status ``breach``), *good* (on the good side of the minimum by at least
``recovery_margin``) or *neutral* (in between, ``no_data`` or ``stale``), and keeps one
:class:`~servicelevel.store.schema.AlertState` row per (target, queue):

* ``ok`` -> ``breach`` once bad has been seen for ``hold_minutes`` and in ``hold_windows`` of
  the target's windows, with no good observation in between (neutral ones don't reset it);
* ``breach`` -> ``ok`` once good has held the same way; a value just above the minimum is
  neutral, so the margin stops a recovered-breached-recovered see-saw.

The hold and the margin decide *when* to tell; *what* is told about the breach (when it began,
its open hours, the customers affected) is the breach model's
(:mod:`servicelevel.evaluate.breaches`), the same as the email's and the Breaches page's: a
breach alert describes the breach running now, a recovery the breaches since the alert (with
``hold_minutes = 0`` and ``recovery_margin = 0`` these are exactly one breach of the model).

Each confirmed change is an :class:`~servicelevel.store.schema.AlertFlip` row (healthchecks'
Flip). :func:`send_pending` claims unprocessed flips one by one (``UPDATE ... WHERE processed IS
NULL``), commits, then emails and POSTs them; ``digest_after`` or more at once go as one digest.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from servicelevel.config import Target, Targets
from servicelevel.config.delivery import AlertSettings, Settings
from servicelevel.config.history import History, load_history
from servicelevel.evaluate import ALL, Status, evaluate_at, evaluate_windows
from servicelevel.evaluate.breaches import Breach, breaches_of
from servicelevel.reports.text import format_duration, format_value
from servicelevel.store.schema import AlertFlip, AlertState
from servicelevel.timeutil import local_day_bounds, window_containing, windows_between

log = logging.getLogger(__name__)

Observation = Literal["bad", "good", "neutral"]
WEBHOOK_TIMEOUT_S = 10


def observe(status: Status, margin: float) -> Observation:
    if status.status == "breach":
        return "bad"
    if status.status not in ("met", "ideal") or status.value is None:
        return "neutral"
    target = status.target
    if target.higher_is_better:
        return "good" if status.value >= target.minimum + margin else "neutral"
    return "good" if status.value <= target.minimum - margin else "neutral"


def _advance(
    state: AlertState, status: Status, seen: Observation, rules: AlertSettings, now: datetime
) -> str | None:
    """Move one state on by one observation; returns the new state when it flips."""
    wanted = "bad" if state.state == "ok" else "good"
    state.last_value, state.last_status, state.checked_at = status.value, status.status, now
    if seen == "neutral":
        return None
    if seen != wanted:  # the observation confirms the current state: any streak is over
        state.streak_since, state.streak_windows, state.streak_window_start = None, 0, None
        return None
    if state.streak_since is None:
        state.streak_since, state.streak_windows = now, 1
        state.streak_window_start = status.window.start
    elif state.streak_window_start != status.window.start:
        state.streak_windows += 1
        state.streak_window_start = status.window.start
    held = now - state.streak_since >= timedelta(minutes=rules.hold_minutes)
    if not (held and state.streak_windows >= rules.hold_windows):
        return None
    new = "breach" if state.state == "ok" else "ok"
    state.state, state.since = new, now
    state.streak_since, state.streak_windows, state.streak_window_start = None, 0, None
    return new


# How far back to look for the start of a breach, in days, by window kind (doubled while the
# breach reaches the start of what was read).
LOOKBACK_DAYS = {"15min": 1, "hour": 2, "day": 7, "week": 56, "month": 366}
MAX_DOUBLINGS = 6


def episode_breaches(
    engine: Engine,
    targets: Targets,
    target_id: str,
    scope: str,
    since: datetime,
    now: datetime,
    history: History | None = None,
) -> list[Breach]:
    """The breaches of (target, scope) still running at ``since`` or begun after it, up to now.

    Only windows that have started by ``now`` are read. A breach may have begun long before
    ``since`` (a week of breached days): the look-back doubles until a window that met the
    minimum comes before it.
    """
    target = targets.target(target_id)
    tz = targets.operation.tz
    end = window_containing(target.window, now, tz).end
    history = load_history(engine) if history is None else history
    days = LOOKBACK_DAYS.get(target.window, 7)
    for _ in range(MAX_DOUBLINGS):
        first_day = since.astimezone(tz).date() - timedelta(days=days)
        start = local_day_bounds(first_day, first_day, tz)[0]
        windows = windows_between(target.window, start, end, tz)
        statuses = [
            s
            for s in evaluate_windows(engine, targets, {target_id: windows}, now=now,
                                      history=history)
            if s.scope == scope
        ]  # fmt: skip
        found = [b for b in breaches_of(statuses, targets, now=now) if b.end > since]
        judged_before = any(
            s.status in ("met", "ideal") and (not found or s.window.start < found[0].start)
            for s in statuses
        )
        if judged_before or not found:
            return found
        days *= 2
    return found


def _local(moment: datetime, targets: Targets) -> str:
    return moment.astimezone(targets.operation.tz).strftime("%a %-d %b %H:%M")


def _breach_text(new: str, breaches: Sequence[Breach], targets: Targets) -> str:
    """The breach model's account of the breach(es) an alert is about ("" when none)."""
    if not breaches:
        return ""
    customers = sum(b.customers_affected for b in breaches)
    people = f"{customers} customer{'s' if customers != 1 else ''} affected"
    open_hours = format_duration(sum((b.open_time for b in breaches), timedelta()))
    first = breaches[0]
    if new == "breach":
        return (
            f"; the breach running now began {_local(first.start, targets)}: {open_hours} of "
            f"open hours so far, {people} so far"
        )
    if len(breaches) == 1:
        return (
            f"; the breach ran {_local(first.start, targets)} - {_local(first.end, targets)}: "
            f"{open_hours} of open hours, {people}"
        )
    return (
        f"; {len(breaches)} breaches since {_local(first.start, targets)}: {open_hours} of open "
        f"hours below the minimum, {people}"
    )


def _reason(
    status: Status,
    new: str,
    since: datetime | None,
    now: datetime,
    breach_text: str = "",
) -> str:
    target, unit = status.target, status.target.unit
    value = format_value(status.value, unit)
    minimum = format_value(target.minimum, unit)
    held = f" for {round((now - since).total_seconds() / 60)} min" if since else ""
    if new == "breach":
        worse = "below" if target.higher_is_better else "above"
        return f"{value}, {worse} the minimum of {minimum}{held}{breach_text}"
    return f"{value}, back on the good side of the minimum of {minimum}{held}{breach_text}"


def check(
    engine: Engine, targets: Targets, rules: AlertSettings, *, now: datetime | None = None
) -> list[int]:
    """Evaluate the current windows and record confirmed changes; returns the new flip ids."""
    now = now or datetime.now(UTC)
    history = load_history(engine)
    statuses = [
        s
        for s in evaluate_at(engine, targets, now=now, history=history)
        if rules.watches(s.target.id)
    ]

    def describe(status: Status, new: str, episode_since: datetime) -> str:
        # Only for a confirmed change (rare): read back as far as the breach goes.
        since = now if new == "breach" else episode_since
        found = episode_breaches(
            engine, targets, status.target.id, status.scope, since, now, history
        )
        return _breach_text(new, found, targets)

    try:
        return _record(engine, statuses, rules, now, describe)
    except (StaleDataError, IntegrityError):
        # Another worker checked at the same moment and its changes won (version_id_col is
        # the optimistic lock); its flips are the ones that count.
        log.info("alert check skipped: another worker updated the same states")
        return []


def _record(
    engine: Engine,
    statuses: Sequence[Status],
    rules: AlertSettings,
    now: datetime,
    describe: Callable[[Status, str, datetime], str] | None = None,
) -> list[int]:
    flips: list[AlertFlip] = []
    with Session(engine) as session, session.begin():
        states = {(s.target_id, s.scope): s for s in session.execute(select(AlertState)).scalars()}
        for status in statuses:
            key = (status.target.id, status.scope)
            state = states.get(key)
            if state is None:
                state = AlertState(
                    target_id=key[0], scope=key[1], state="ok", since=now, streak_windows=0,
                    checked_at=now,
                )  # fmt: skip
                session.add(state)
                states[key] = state
            old, since, episode_since = state.state, state.streak_since, state.since
            new = _advance(state, status, observe(status, rules.recovery_margin), rules, now)
            if new is not None:
                told = describe(status, new, episode_since) if describe is not None else ""
                flips.append(
                    AlertFlip(
                        target_id=key[0], scope=key[1], old_status=old, new_status=new,
                        created_at=now, window_start=status.window.start,
                        window_end=status.window.end, value=status.value,
                        minimum=status.target.minimum, ideal=status.target.ideal,
                        reason=_reason(status, new, since, now, told),
                    )
                )  # fmt: skip
        session.add_all(flips)
        session.flush()
        return [f.id for f in flips]


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlipView:
    """A flip as messages show it."""

    id: int
    target: Target | None
    target_id: str
    name: str
    scope: str
    event: str  # breach | recovered | burn | burn_over (see EVENTS)
    value: str
    minimum: str
    ideal: str
    reason: str
    at: str
    raw: AlertFlip

    @property
    def label(self) -> str:
        """The event in capitals, as the subject, the body and the webhook's text say it."""
        return EVENTS[self.event]

    def as_json(self) -> dict[str, Any]:
        f = self.raw
        out = {
            "target": f.target_id,
            "name": self.name,
            "scope": f.scope,
            "event": self.event,
            "status": f.new_status,
            "previous_status": f.old_status,
            "value": f.value,
            "minimum": f.minimum,
            "ideal": f.ideal,
            "unit": self.target.unit if self.target else None,
            "window_start": f.window_start.isoformat(),
            "window_end": f.window_end.isoformat(),
            "at": f.created_at.isoformat(),
            "reason": f.reason,
        }
        if f.details:  # a burn-rate flip: its rule, windows and burns (docs/budgets.md)
            out["burn_rate"] = json.loads(f.details)
        return out


# What each kind of flip is called; burn flips come from servicelevel.reports.burn_alerts.
EVENTS = {
    "breach": "BELOW MIN",
    "recovered": "RECOVERED",
    "burn": "BUDGET BURN",
    "burn_over": "BURN OVER",
}


def _event(flip: AlertFlip) -> str:
    if flip.details:
        return "burn" if flip.new_status == "burning" else "burn_over"
    return "breach" if flip.new_status == "breach" else "recovered"


def _view(flip: AlertFlip, targets: Targets) -> FlipView:
    target = next((t for t in targets.targets if t.id == flip.target_id), None)
    unit = target.unit if target else ""
    name = target.name if target else flip.target_id
    return FlipView(
        id=flip.id,
        target=target,
        target_id=flip.target_id,
        name=name + ("" if flip.scope == ALL else f" (queue {flip.scope})"),
        scope=flip.scope,
        event=_event(flip),
        value=format_value(flip.value, unit),
        minimum=format_value(flip.minimum, unit),
        ideal=format_value(flip.ideal, unit),
        reason=flip.reason,
        at=flip.created_at.astimezone(targets.operation.tz).strftime("%a %-d %b %H:%M"),
        raw=flip,
    )


def claim_pending(engine: Engine, *, now: datetime) -> list[AlertFlip]:
    """Claim every unprocessed flip we can; each claim is its own conditional UPDATE."""
    with Session(engine) as session:
        pending = list(
            session.execute(
                select(AlertFlip).where(AlertFlip.processed.is_(None)).order_by(AlertFlip.id)
            ).scalars()
        )
    claimed = []
    for flip in pending:
        with Session(engine) as session, session.begin():
            result = session.execute(
                update(AlertFlip)
                .where(AlertFlip.id == flip.id, AlertFlip.processed.is_(None))
                .values(processed=now)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            flip.processed = now
            claimed.append(flip)
    return claimed


def alert_context(views: Sequence[FlipView], targets: Targets) -> dict[str, Any]:
    breaches = [v for v in views if v.event == "breach"]
    burns = [v for v in views if v.event in ("burn", "burn_over")]
    return {
        "operation": targets.operation.name,
        "dashboard_url": targets.operation.dashboard_url,
        "flips": views,
        "digest": len(views) > 1,
        "breaches": len(breaches),
        "recoveries": len(views) - len(breaches) - len(burns),
        "burns": len(burns),
    }


# Slack's mrkdwn (and Mattermost/Teams markdown) read these in a message's text: <url|text>
# links and <!channel> mentions, [text](url) links, @channel/@all mentions.
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "(", "]": ")"})


def chat_text(text: str) -> str:
    """``text`` with no markup of its own: a queue or target name comes from a source or an
    editor, and must not turn the alert into a link to another site or a channel-wide ping.
    ``& < >`` become the entities Slack asks for; brackets become parentheses, so no
    ``[text](url)``; ``@`` is followed by a zero-width space, so no ``@channel``."""
    return text.translate(_MARKUP).replace("@", "@\u200b")


def webhook_payload(views: Sequence[FlipView], targets: Targets) -> dict[str, Any]:
    """JSON for the webhook; ``text`` makes it readable as-is by Slack/Mattermost-style hooks
    and carries names through :func:`chat_text`; ``flips`` holds the raw values, as data, for
    receivers that build their own message (and escape for their own format)."""
    words = {"breach": "BREACH", "recovered": "RECOVERED"}
    lines = [chat_text(f"{words.get(v.event, v.label)}: {v.name}: {v.reason}") for v in views]
    return {
        "operation": targets.operation.name,
        "kind": "digest" if len(views) > 1 else views[0].event,
        "text": "\n".join(lines),
        "dashboard_url": targets.operation.dashboard_url,
        "flips": [v.as_json() for v in views],
    }


def post_webhook(url: str, payload: dict[str, Any], timeout: float = WEBHOOK_TIMEOUT_S) -> None:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "servicelevel-alerts"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered HTTP {response.status}")


def send_pending(
    engine: Engine,
    targets: Targets,
    settings: Settings,
    *,
    now: datetime | None = None,
    ssl_context: Any = None,
) -> int:
    """Claim and deliver pending flips; returns how many were delivered (or attempted)."""
    from servicelevel.reports import mailer

    rules = settings.alerts
    if rules is None:
        return 0
    now = now or datetime.now(UTC)
    flips = claim_pending(engine, now=now)
    if not flips:
        return 0
    views = [_view(f, targets) for f in flips]
    batches = [views] if len(views) >= rules.digest_after else [[v] for v in views]
    for batch in batches:
        errors = []
        if rules.to and settings.smtp is not None:
            try:
                message = mailer.make_message(
                    "alert", rules.to, alert_context(batch, targets), sender=settings.smtp.sender
                )
                mailer.send(message, settings.smtp, ssl_context=ssl_context)
            except Exception as exc:
                errors.append(f"email: {exc}")
        if rules.webhook_url:
            try:
                post_webhook(rules.webhook_url, webhook_payload(batch, targets))
            except Exception as exc:
                errors.append(f"webhook: {type(exc).__name__}: {exc}")
        if errors:
            # The flip stays processed (no message storm on a broken channel); the error is
            # kept on the row and logged, like healthchecks' on_notify_done.
            log.error("alert for %s not delivered: %s", [v.name for v in batch], errors)
            with Session(engine) as session, session.begin():
                session.execute(
                    update(AlertFlip)
                    .where(AlertFlip.id.in_([v.id for v in batch]))
                    .values(error="; ".join(errors))
                    .execution_options(synchronize_session=False)
                )
    return len(views)


def run_alerts_job(
    engine: Engine, targets: Targets, settings: Settings, *, now: datetime | None = None
) -> int:
    """The scheduled job: check, then deliver whatever is pending (also from earlier runs)."""
    if settings.alerts is None:
        return 0
    from servicelevel.reports import burn_alerts

    check(engine, targets, settings.alerts, now=now)
    try:
        burn_alerts.check(engine, targets, settings.alerts, now=now)  # with [alerts.burn_rate]
    except Exception:
        # The breach alerts already recorded still go out; the error is the job's (re-raised).
        log.exception("burn-rate check failed")
        send_pending(engine, targets, settings, now=now)
        raise
    return send_pending(engine, targets, settings, now=now)
