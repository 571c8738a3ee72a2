"""The ``servicelevel`` command: parse options, call the library, print.

Each command's docstring is its ``--help``. Errors leave as one line
(``targets.toml:12: target[2].kpi: ...``) with a non-zero exit code; the work lives in the library.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from servicelevel.config import Targets, load_targets
from servicelevel.errors import ServicelevelError

TARGETS_ENV = "SERVICELEVEL_TARGETS"
IMPORT_KINDS = ("asterisk-queue-log",)

db_option = click.option(
    "--db",
    "db_url",
    envvar="SERVICELEVEL_DB",
    default=None,
    help="Database URL (default: sqlite:///servicelevel.db; env SERVICELEVEL_DB).",
)
targets_option = click.option(
    "--targets",
    "targets_path",
    envvar=TARGETS_ENV,
    default="targets.toml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The targets file (env SERVICELEVEL_TARGETS).",
)


def load_or_fail(path: Path) -> Targets:
    """Load the targets file or stop with its located errors (exit code 2)."""
    result = load_targets(path)
    if not result.ok or result.targets is None:
        for issue in result.errors:
            click.echo(str(issue), err=True)
        raise SystemExit(2)
    return result.targets


@click.group()
@click.version_option(package_name="servicelevel")
def main() -> None:
    """Is the customer-service operation keeping the promises of its service policy?"""


@main.group()
def targets() -> None:
    """Work with the targets file."""


@targets.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def targets_check(path: Path | None) -> None:
    """Validate PATH (default: $SERVICELEVEL_TARGETS or ./targets.toml); exit 2 on errors."""
    import os

    path = path or Path(os.environ.get(TARGETS_ENV, "targets.toml"))
    result = load_targets(path)
    if not result.ok:
        for issue in result.errors:
            click.echo(str(issue), err=True)
        click.echo(f"{path}: {len(result.errors)} error(s)", err=True)
        raise SystemExit(2)
    assert result.targets is not None
    click.echo(f"{path}: ok, {len(result.targets.targets)} target(s)")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """Create or migrate the database schema to the latest version."""
    from servicelevel.store import make_engine, resolve_url

    make_engine(db_url)
    click.echo(f"schema up to date: {_safe_url(resolve_url(db_url))}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
@targets_option
@click.option("--strict", is_flag=True, help="Exit with code 3 when anything was quarantined.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
def import_(
    kind: str,
    paths: tuple[Path, ...],
    db_url: str | None,
    targets_path: Path,
    strict: bool,
    progress: bool | None,
) -> None:
    """Import KIND files; prints read, stored, duplicates and quarantined for each."""
    from servicelevel.collectors import asterisk_queue_log
    from servicelevel.context import rollup_spec
    from servicelevel.store import make_engine

    config = load_or_fail(targets_path)
    engine = make_engine(db_url)
    spec = rollup_spec(config)
    show_bar = sys.stderr.isatty() if progress is None else progress
    quarantined = 0
    for path in paths:
        result = asterisk_queue_log.import_file(engine, path, spec, progress=show_bar)
        click.echo(result.summary())
        quarantined += result.quarantined
    if quarantined:
        click.echo("see the lines and their reasons with: servicelevel quarantine", err=True)
    if strict and quarantined:
        raise SystemExit(3)


@main.command()
@db_option
@click.option("--source", default=None, help="Only this source.")
@click.option("--limit", default=50, show_default=True)
def quarantine(db_url: str | None, source: str | None, limit: int) -> None:
    """List quarantined input rows with their reasons (newest first)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from servicelevel.store import make_engine
    from servicelevel.store.schema import Quarantine

    engine = make_engine(db_url)
    with Session(engine) as session:
        query = select(Quarantine).order_by(Quarantine.id.desc()).limit(limit)
        if source:
            query = query.where(Quarantine.source == source)
        for row in session.execute(query).scalars():
            click.echo(f"{row.location}: {row.reason}\n    {row.raw}")


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
    from servicelevel.context import rollup_spec
    from servicelevel.evaluate import evaluate_at, evaluate_range
    from servicelevel.store import make_engine
    from servicelevel.store.rollups import ensure_rollups

    config = load_or_fail(targets_path)
    engine = make_engine(db_url)
    ensure_rollups(engine, rollup_spec(config))
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
    from servicelevel.report_text import status_table

    click.echo(status_table(statuses))


@main.command()
@db_option
@targets_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (localhost by default)."
)
@click.option("--port", default=8050, show_default=True)
@click.option("--debug", is_flag=True, help="Dash debug mode (never on a shared network).")
def serve(db_url: str | None, targets_path: Path, host: str, port: int, debug: bool) -> None:
    """Run the dashboard on an existing database."""
    from servicelevel.dashboard.app import create_app
    from servicelevel.store import make_engine

    engine = make_engine(db_url)
    app = create_app(engine, targets_path)
    click.echo(f"dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug)


@main.command()
@click.option("--port", default=8050, show_default=True)
@click.option("--history-days", default=28, show_default=True, help="Days of past calls to create.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--dir",
    "workdir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo database and queue_log (default: a new temp dir).",
)
def demo(port: int, history_days: int, seed: int, workdir: Path | None) -> None:
    """The dashboard on a fresh SQLite database fed by a live call simulator."""
    import tempfile

    from servicelevel.dashboard.app import create_app
    from servicelevel.demo import DemoSite

    root = workdir or Path(tempfile.mkdtemp(prefix="servicelevel-demo-"))
    site = DemoSite(root, seed=seed)
    click.echo(f"demo data in {root}; creating {history_days} days of history...")
    site.prepare(history_days=history_days, now=datetime.now(UTC) - timedelta(seconds=1))
    site.start()
    app = create_app(site.engine, site.targets_path, demo_note=True)
    click.echo(f"demo dashboard on http://127.0.0.1:{port}/ (no login: local only; Ctrl+C to stop)")
    app.run(host="127.0.0.1", port=port, debug=False)


def run() -> None:
    """Entry point that turns our errors into one line and exit code 1."""
    try:
        main(standalone_mode=True)
    except ServicelevelError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
