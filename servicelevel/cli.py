"""The ``servicelevel`` command: parse options, call the library, print.

Each command's docstring is its ``--help``. Errors leave as one line
(``targets.toml:12: target[2].kpi: ...``) with a non-zero exit code; the work lives in the library.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from servicelevel.config import Targets, load_targets
from servicelevel.errors import ServicelevelError

if TYPE_CHECKING:
    from servicelevel.scheduler import CollectorJob

TARGETS_ENV = "SERVICELEVEL_TARGETS"
IMPORT_KINDS = (
    "asterisk-queue-log",
    "calls-csv",
    "surveys-csv",
    "complaints-csv",
    "orders-csv",
    "returns-csv",
    "sources",
)

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


def collector_jobs(every_seconds: float = 30.0) -> list[CollectorJob]:
    """The scheduled job that runs the targets file's ``[[source]]`` collectors.

    The core never imports the collectors; this is the CLI wiring them in. Sources are read
    from the targets file at each run, so an edit takes effect without a restart; a broken
    source is recorded (its targets turn stale) and the others go on.
    """
    from servicelevel.collectors.mapped.mapping import load_sources
    from servicelevel.collectors.runner import run_sources
    from servicelevel.context import rollup_spec
    from servicelevel.scheduler import CollectorJob

    def run(engine: Engine, config: Targets) -> object:
        if not config.source or config.path is None:
            return []
        sources = load_sources(config.path, config.source)
        return run_sources(
            engine,
            sources,
            rollup_spec(config),
            default_tz=config.operation.tz,
            base=config.path.parent,
        )

    return [CollectorJob("collect-sources", every_seconds, run)]


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
    from servicelevel.config.delivery import report_settings

    issues = report_settings(result.targets).issues  # [report] and [alerts]
    if result.targets.source:  # [[source]] tables and the mapping files they name
        from servicelevel.collectors.mapped.mapping import MappingInvalid, load_sources

        try:
            load_sources(path, result.targets.source)
        except MappingInvalid as exc:
            issues = [*issues, *exc.errors]
    if issues:
        for issue in issues:
            click.echo(str(issue), err=True)
        click.echo(f"{path}: {len(issues)} error(s)", err=True)
        raise SystemExit(2)
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
@click.argument("paths", nargs=-1)
@db_option
@targets_option
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Mapping file for a *-csv KIND: its columns -> ours (see examples/).",
)
@click.option("--strict", is_flag=True, help="Exit with code 3 when anything was quarantined.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@click.option("--batch-rows", type=click.IntRange(min=1), default=None, hidden=True)
def import_(
    kind: str,
    paths: tuple[str, ...],
    db_url: str | None,
    targets_path: Path,
    mapping_path: Path | None,
    strict: bool,
    progress: bool | None,
    batch_rows: int | None,
) -> None:
    """Import KIND files (PATH...); prints read, stored, duplicates and quarantined for each.

    KIND is asterisk-queue-log, or calls-csv, surveys-csv, complaints-csv, orders-csv,
    returns-csv with --mapping. "sources" reads the [[source]] tables of the targets file once
    (all of them, or those named instead of PATHs). A file is read from where the last import
    of it stopped. Exit code 1 when a file or source could not be read, 3 with --strict when
    any row was quarantined.
    """
    from servicelevel.collectors import runner
    from servicelevel.collectors.base import RunResult
    from servicelevel.collectors.mapped.mapping import CSV_KINDS, load_mapping, load_sources
    from servicelevel.context import rollup_spec
    from servicelevel.store import make_engine

    config = load_or_fail(targets_path)
    if kind in CSV_KINDS and mapping_path is None:
        raise click.UsageError(f"{kind} needs --mapping FILE (see docs/collectors.md)")
    if kind not in CSV_KINDS and mapping_path is not None:
        raise click.UsageError(f"{kind} takes no --mapping")
    if kind != "sources" and not paths:
        raise click.UsageError("give at least one PATH")
    mapping = None
    if kind in CSV_KINDS and mapping_path is not None:
        mapping = load_mapping(mapping_path, CSV_KINDS[kind])
    engine = make_engine(db_url)
    spec = rollup_spec(config)
    tz = config.operation.tz
    show_bar = sys.stderr.isatty() if progress is None else progress
    results: list[RunResult] = []
    failed = 0
    if kind == "sources":
        sources = load_sources(targets_path, config.source)
        unknown = sorted(set(paths) - {s.name for s in sources})
        if unknown:
            raise click.UsageError(f"no [[source]] named {', '.join(unknown)} in {targets_path}")
        chosen = [s for s in sources if not paths or s.name in paths]
        for outcome in runner.run_sources(
            engine, chosen, spec, default_tz=tz, base=targets_path.parent
        ):
            if outcome.result is None:
                click.echo(f"{outcome.name}: failed: {outcome.error}", err=True)
                failed += 1
            else:
                click.echo(outcome.result.summary())
                results.append(outcome.result)
    else:
        for path in paths:
            try:
                result = runner.import_path(
                    engine, kind, path, spec, default_tz=tz, mapping=mapping,
                    progress=show_bar, batch_rows=batch_rows,
                )  # fmt: skip
            except ServicelevelError as exc:
                click.echo(f"failed: {exc}", err=True)  # the message names the file
                failed += 1
                continue
            click.echo(result.summary())
            results.append(result)
    quarantined = sum(r.quarantined for r in results)
    if len(results) > 1:
        total = (sum(r.read for r in results), sum(r.stored for r in results),
                 sum(r.duplicates for r in results), quarantined)  # fmt: skip
        click.echo("total: read {}, stored {}, duplicates {}, quarantined {}".format(*total))
    if quarantined:
        click.echo("see the rows and their reasons with: servicelevel quarantine", err=True)
    if failed:
        raise SystemExit(1)
    if strict and quarantined:
        raise SystemExit(3)


@main.group(invoke_without_command=True)
@db_option
@click.option("--source", default=None, help="Only this source (its name, or part of it).")
@click.option("--limit", default=50, show_default=True, help="Show at most this many rows.")
@click.option("--all", "show_all", is_flag=True, help="Also rows already replayed.")
@click.pass_context
def quarantine(
    ctx: click.Context, db_url: str | None, source: str | None, limit: int, show_all: bool
) -> None:
    """List quarantined input rows with their reasons (newest first).

    Fix the cause (usually the mapping), then: servicelevel quarantine replay.
    """
    ctx.obj = {"db_url": db_url, "source": source}
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy.orm import Session

    from servicelevel.collectors.replay import pending
    from servicelevel.store import make_engine

    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = pending(session, source, include_replayed=show_all)
    for row in reversed(rows[-limit:] if limit else rows):
        replayed = " (replayed)" if row.replayed_at is not None else ""
        click.echo(f"#{row.id} {row.source}\n  {row.location}: {row.reason}{replayed}")
        if row.raw:
            click.echo(f"    {row.raw}")
    shown = min(len(rows), limit) if limit else len(rows)
    more = f", newest {shown} shown" if shown < len(rows) else ""
    click.echo(f"{len(rows)} row(s) in quarantine{more}")


@quarantine.command("replay")
@db_option
@targets_option
@click.option("--source", default=None, help="Only this source (its name, or part of it).")
@click.option("--id", "ids", multiple=True, type=int, help="Only this row (repeatable).")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The fixed mapping (default: the [[source]] of that name in the targets file).",
)
@click.pass_context
def quarantine_replay(
    ctx: click.Context,
    db_url: str | None,
    targets_path: Path,
    source: str | None,
    ids: tuple[int, ...],
    mapping_path: Path | None,
) -> None:
    """Feed quarantined rows through their collector again; prints the accounting.

    Rows that now become facts (or duplicates) leave the quarantine; the others stay, with
    their current reason.
    """
    from servicelevel.collectors.mapped.mapping import load_mapping, load_sources
    from servicelevel.collectors.replay import replay
    from servicelevel.context import rollup_spec
    from servicelevel.store import make_engine

    parent = ctx.obj or {}
    db_url = db_url or parent.get("db_url")
    source = source or parent.get("source")
    config = load_or_fail(targets_path)
    mapping = load_mapping(mapping_path) if mapping_path else None
    configured = load_sources(targets_path, config.source) if config.source else []
    engine = make_engine(db_url)
    outcomes = replay(
        engine, rollup_spec(config), default_tz=config.operation.tz, source=source,
        ids=ids, mapping=mapping, configured=configured,
    )  # fmt: skip
    if not outcomes:
        click.echo("nothing to replay")
    failed = False
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"{outcome.source}: not replayed: {outcome.error}", err=True)
            failed = True
            continue
        assert outcome.result is not None
        click.echo("replay of " + outcome.result.summary())
        if outcome.not_replayable:
            click.echo(
                f"  {outcome.not_replayable} row(s) kept no copy and cannot be replayed: "
                "fix the file and import it again"
            )
    if failed:
        raise SystemExit(1)


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
    from servicelevel.reports.text import status_table

    click.echo(status_table(statuses))


@main.command()
@db_option
@targets_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (localhost by default)."
)
@click.option("--port", default=8050, show_default=True)
@click.option("--debug", is_flag=True, help="Dash debug mode (never on a shared network).")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run the scheduled jobs (collectors, alerts, weekly email) in this process.",
)
@click.option(
    "--threads", default=8, show_default=True, help="Requests served at once (waitress threads)."
)
def serve(
    db_url: str | None,
    targets_path: Path,
    host: str,
    port: int,
    debug: bool,
    scheduler: bool,
    threads: int,
) -> None:
    """Run the dashboard (and, unless --no-scheduler, the scheduled jobs)."""
    from servicelevel.dashboard.app import create_app
    from servicelevel.dashboard.wsgi import run_server
    from servicelevel.store import make_engine

    engine = make_engine(db_url)
    app = create_app(engine, targets_path)
    worker = None
    if scheduler:
        from servicelevel.scheduler import start_scheduler

        worker = start_scheduler(engine, targets_path, collectors=collector_jobs())
    click.echo(f"dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_server(app, host, port, debug=debug, threads=threads)
    finally:
        if worker is not None:
            worker.shutdown()


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
    from servicelevel.dashboard.wsgi import run_server
    from servicelevel.demo import DemoSite

    root = workdir or Path(tempfile.mkdtemp(prefix="servicelevel-demo-"))
    site = DemoSite(root, seed=seed)
    click.echo(f"demo data in {root}; creating {history_days} days of history...")
    site.prepare(history_days=history_days, now=datetime.now(UTC) - timedelta(seconds=1))
    site.start()
    app = create_app(site.engine, site.targets_path, demo_note=True)
    click.echo(f"demo dashboard on http://127.0.0.1:{port}/ (no login: local only; Ctrl+C to stop)")
    run_server(app, "127.0.0.1", port)


@main.group()
def report() -> None:
    """Emailed reports."""


@report.command("weekly")
@db_option
@targets_option
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the last complete).")
@click.option(
    "--html",
    "html_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML email (charts inline) to this file.",
)
@click.option("--text", "show_text", is_flag=True, help="Print the plain-text email.")
@click.option("--send", is_flag=True, help="Send it to [report.weekly] to, once per week.")
@click.option("--force", is_flag=True, help="With --send: send even if already sent.")
def report_weekly(
    db_url: str | None,
    targets_path: Path,
    week: str | None,
    html_path: Path | None,
    show_text: bool,
    send: bool,
    force: bool,
) -> None:
    """The weekly summary of a site-local week (Monday to Sunday).

    Without --html, --text or --send it prints the plain-text email. --send records the
    sending in the database, so a week goes out once; --force sends it again.
    """
    from servicelevel.config.delivery import report_settings
    from servicelevel.reports import weekly
    from servicelevel.store import make_engine

    config = load_or_fail(targets_path)
    settings = report_settings(config)
    if settings.issues:
        for issue in settings.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(2)
    if force and not send:
        raise click.UsageError("--force goes with --send")
    try:
        chosen = (
            weekly.Week.parse(week)
            if week
            else weekly.Week.last_complete(datetime.now(UTC), config)
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    engine = make_engine(db_url)
    if html_path is not None or show_text or not send:
        rendered = weekly.render_weekly(
            weekly.build_weekly(engine, config, chosen), settings, charts=html_path is not None
        )
        if html_path is not None:
            html_path.write_text(rendered.html, encoding="utf-8")
            click.echo(f"{chosen.label}: HTML email written to {html_path}", err=True)
        if show_text or (html_path is None and not send):
            click.echo(f"Subject: {rendered.subject}\n")
            click.echo(rendered.text)
    if send:
        if settings.weekly is None or settings.smtp is None:
            raise click.UsageError("--send needs [report.weekly] and [report.smtp] in the targets")
        outcome = weekly.send_weekly(engine, config, settings, chosen, force=force)
        click.echo(f"{chosen.label}: {outcome.reason}", err=not outcome.sent)


@main.command()
@db_option
@targets_option
def worker(db_url: str | None, targets_path: Path) -> None:
    """Run the scheduled jobs: collectors, breach alerts and the weekly summary.

    Jobs are kept in the database: a restart neither loses nor repeats one, and a second
    worker on the same database never sends the same email twice. Stops cleanly on Ctrl+C
    or SIGTERM (the job running then finishes first).
    """
    import logging
    import signal
    import threading

    from servicelevel.scheduler import start_scheduler
    from servicelevel.store import make_engine

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    load_or_fail(targets_path)
    engine = make_engine(db_url)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    running = start_scheduler(engine, targets_path, collectors=collector_jobs())
    click.echo(f"worker running jobs: {', '.join(running.job_ids()) or 'none'} (Ctrl+C to stop)")
    try:
        while not stop.wait(1):
            pass
    finally:
        running.shutdown(wait=True)
        click.echo("worker stopped")


def run() -> None:
    """Entry point that turns our errors into one line and exit code 1."""
    try:
        main(standalone_mode=True)
    except ServicelevelError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
