"""``status``: every target against minimum and ideal, now or over a range; or its breaches."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from servicelevel.cli.options import (
    db_option,
    load_or_fail,
    main,
    targets_option,
)
from servicelevel.config import Targets

if TYPE_CHECKING:
    from sqlalchemy import Engine

RECOMPUTING = (
    "note: the rollups are being recomputed for the changed targets (worker, serve or "
    "`servicelevel db rebuild`); call figures are those of the previous definition."
)


BREACH_DAYS = 7


def _print_breaches(
    engine: Engine, config: Targets, first: date, last: date, as_json: bool
) -> None:
    from servicelevel.evaluate import find_breaches

    found = find_breaches(engine, config, first, last, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps([b.as_json() for b in found], indent=2))
        return
    from servicelevel.reports.text import breach_table

    click.echo(breach_table(found) if found else f"No breach from {first} to {last} (exclusive).")


def _parse_moment(value: str, config: Targets) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:  # a wall-clock time of the operation
        moment = moment.replace(tzinfo=config.operation.tz)
    return moment


@main.command()
@db_option
@targets_option
@click.option(
    "--at", "at", default=None, help="A time (ISO 8601; local time of the operation if no offset)."
)
@click.option("--from", "first", default=None, help="First local day (YYYY-MM-DD).")
@click.option("--to", "last", default=None, help="Day after the last (YYYY-MM-DD, exclusive).")
@click.option(
    "--breaches",
    "show_breaches",
    is_flag=True,
    help="List the breaches of the windows that start in --from/--to (default: the last "
    f"{BREACH_DAYS} local days, today included) instead of the statuses.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of statuses (or of breaches)."
)
def status(
    db_url: str | None,
    targets_path: Path,
    at: str | None,
    first: str | None,
    last: str | None,
    show_breaches: bool,
    as_json: bool,
) -> None:
    """Status of every target in the window holding --at (default: now).

    With --from/--to: every window that starts in those local days. With --breaches: the
    breaches among those windows (runs of windows worse than the minimum), the same ones the
    weekly email, the Breaches page and the alerts show.
    """
    from servicelevel.cli.options import open_engine
    from servicelevel.evaluate import evaluate_at, evaluate_range
    from servicelevel.evaluate.reasons import no_data_reasons

    config = load_or_fail(targets_path)
    now = datetime.now(UTC)  # one "now" for the figures, their staleness and their reasons
    # A reader: the rollups are rebuilt by a job, not here; a mistyped URL is refused.
    engine = open_engine(db_url, create=False)
    if (first is None) != (last is None):
        raise click.UsageError("--from and --to go together")
    if first is not None and at is not None:
        raise click.UsageError("use either --at or --from/--to")
    if show_breaches and at is not None:
        raise click.UsageError("--breaches takes --from/--to, not --at")
    if show_breaches and first is None:
        today = datetime.now(UTC).astimezone(config.operation.tz).date()
        first = (today - timedelta(days=BREACH_DAYS - 1)).isoformat()
        last = (today + timedelta(days=1)).isoformat()
    if first is not None and last is not None:
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as exc:
            raise click.BadParameter(f"dates must be YYYY-MM-DD ({exc})") from None
        if end <= start:
            raise click.BadParameter("--to must be after --from")
        if show_breaches:
            _print_breaches(engine, config, start, end, as_json)
            return
        statuses = evaluate_range(engine, config, start, end, now=now)
    else:
        try:
            moment = _parse_moment(at, config) if at else None
        except ValueError as exc:
            raise click.BadParameter(f"--at: {exc}") from None
        statuses = evaluate_at(engine, config, moment, now=now)
    reasons = no_data_reasons(engine, config, statuses, now)  # the Live tiles' words
    if as_json:
        objects = [s.as_json(r) for s, r in zip(statuses, reasons, strict=True)]
        click.echo(json.dumps(objects, indent=2))
        return
    if any(s.recomputing for s in statuses):
        click.echo(RECOMPUTING, err=True)
    from servicelevel.reports.text import status_table

    click.echo(status_table(statuses, [r.text if r else "" for r in reasons]))
