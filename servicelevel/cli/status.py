"""``status``: every target against minimum and ideal, now or over a range."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from servicelevel.cli.options import (
    db_option,
    load_or_fail,
    main,
    targets_option,
)
from servicelevel.config import Targets

RECOMPUTING = (
    "note: the rollups are being recomputed for the changed targets (worker, serve or "
    "`servicelevel db rebuild`); call figures are those of the previous definition."
)


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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of statuses.")
def status(
    db_url: str | None,
    targets_path: Path,
    at: str | None,
    first: str | None,
    last: str | None,
    as_json: bool,
) -> None:
    """Status of every target in the window holding --at (default: now).

    With --from/--to: every window that starts in those local days.
    """
    from servicelevel.cli.options import open_engine
    from servicelevel.evaluate import evaluate_at, evaluate_range

    config = load_or_fail(targets_path)
    # A reader: the rollups are rebuilt by a job, not here; a mistyped URL is refused.
    engine = open_engine(db_url, create=False)
    if (first is None) != (last is None):
        raise click.UsageError("--from and --to go together")
    if first is not None and at is not None:
        raise click.UsageError("use either --at or --from/--to")
    if first is not None and last is not None:
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as exc:
            raise click.BadParameter(f"dates must be YYYY-MM-DD ({exc})") from None
        if end <= start:
            raise click.BadParameter("--to must be after --from")
        statuses = evaluate_range(engine, config, start, end)
    else:
        try:
            moment = _parse_moment(at, config) if at else None
        except ValueError as exc:
            raise click.BadParameter(f"--at: {exc}") from None
        statuses = evaluate_at(engine, config, moment)
    if as_json:
        click.echo(json.dumps([s.as_json() for s in statuses], indent=2))
        return
    if any(s.recomputing for s in statuses):
        click.echo(RECOMPUTING, err=True)
    from servicelevel.reports.text import status_table

    click.echo(status_table(statuses))
