"""Long-running commands: ``serve``, ``demo``, ``worker``, and the collector job they schedule.

The core never imports the collectors; this is the CLI wiring them in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import Engine

from servicelevel.cli.options import (
    db_option,
    load_or_fail,
    main,
    targets_option,
)
from servicelevel.config import Targets

if TYPE_CHECKING:
    from servicelevel.scheduler import CollectorJob


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
    from servicelevel.cli.options import open_engine
    from servicelevel.dashboard.app import create_app
    from servicelevel.dashboard.wsgi import run_server

    # Read-only: a mistyped URL must not serve an empty store as "no data" (issue 12).
    engine = open_engine(db_url, create=False)
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

    from servicelevel.cli.options import open_engine
    from servicelevel.scheduler import start_scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    load_or_fail(targets_path)
    engine = open_engine(db_url)
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
