"""``targets check``, ``db upgrade`` and ``db rebuild``: the commands that check and prepare,
never read figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import tomlkit
from sqlalchemy.orm import Session
from tomlkit.exceptions import TOMLKitError

from servicelevel.cli.options import (
    TARGETS_ENV,
    _safe_url,
    db_option,
    load_or_fail,
    main,
    targets_option,
)
from servicelevel.config import ConfigIssue, Targets, load_targets
from servicelevel.errors import ServicelevelError


@main.group()
def targets() -> None:
    """Work with the targets file."""


@targets.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--db",
    "db_url",
    default=None,
    help="Also warn about listed queues with no calls in this database (read only; it must "
    "exist). Not taken from $SERVICELEVEL_DB: a plain check needs no database.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 2) on warnings too.")
def targets_check(path: Path | None, db_url: str | None, strict: bool) -> None:
    """Validate PATH (default: $SERVICELEVEL_TARGETS or ./targets.toml); exit 2 on errors.

    Every section is checked in one pass: the targets, [report] and [alerts], [assessment],
    and the [[source]] tables with the mapping files they name. Warnings (a percentage written
    as a fraction, a queue the database has never seen) are printed and pass, unless --strict.
    """
    import os

    path = path or Path(os.environ.get(TARGETS_ENV, "targets.toml"))
    result = load_targets(path)
    issues = [*result.errors, *_other_sections(path, result.targets), *result.warnings]
    if db_url is not None:
        try:
            issues += _unseen_queues(path, result.targets, db_url)
        except ServicelevelError:
            _print(issues)  # the file's own issues first, then why the database is refused
            raise
    _print(issues)
    errors = [i for i in issues if not i.is_warning]
    warnings = len(issues) - len(errors)
    warned = f", {warnings} warning(s)" if warnings else ""
    if errors or (strict and warnings):
        click.echo(f"{path}: {len(errors)} error(s){warned}", err=True)
        raise SystemExit(2)
    assert result.targets is not None
    click.echo(f"{path}: ok, {len(result.targets.targets)} target(s){warned}")


def _print(issues: list[ConfigIssue]) -> None:
    for issue in sorted(issues, key=lambda i: (i.file != issues[0].file, i.line or 0)):
        click.echo(str(issue), err=True)


def _unseen_queues(path: Path, targets: Targets | None, db_url: str) -> list[ConfigIssue]:
    """Warnings for listed queues without a call in the database (opened read-only: a
    database that does not exist is refused, as by `status`, never created)."""
    from servicelevel.cli.options import open_engine
    from servicelevel.config.lint import unseen_queue_warnings
    from servicelevel.config.loading import read_targets_text
    from servicelevel.store import queries, resolve_url

    engine = open_engine(db_url, create=False)
    if targets is None:
        return []  # the errors say why; queues are checked once the targets are valid
    with Session(engine) as session:
        known = queries.known_queues(session)
    text, _issues = read_targets_text(path)
    where = _safe_url(resolve_url(db_url))
    return unseen_queue_warnings(targets, known, text or "", str(path), where)


def _other_sections(path: Path, targets: Targets | None) -> list[ConfigIssue]:
    """The issues of [report]/[alerts], [assessment] and [[source]], even when the targets did
    not validate.

    Those sections are plain tables of the targets model, so they can be checked from the
    file's raw tables whenever it is valid TOML.
    """
    from servicelevel.config.assessment import assessment_questionnaire, questionnaire_from_table
    from servicelevel.config.delivery import delivery_settings, report_settings

    if targets is not None:
        from servicelevel.config.delivery import _source
        from servicelevel.reports.burn_alerts import capped_factor_warnings

        settings = report_settings(targets)
        issues = settings.issues + assessment_questionnaire(targets)[1]
        filename, text = _source(targets, None)
        issues += capped_factor_warnings(targets, settings.alerts, text, filename)
        sources: list[Any] = targets.source
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomlkit.parse(text).unwrap()
        except (OSError, UnicodeDecodeError, TOMLKitError):
            return []  # load_targets has said why the file cannot be read
        ids = [t["id"] for t in _tables(data.get("target")) if isinstance(t.get("id"), str)]
        report, alerts = data.get("report"), data.get("alerts")
        issues = delivery_settings(
            report if isinstance(report, dict) else None,
            alerts if isinstance(alerts, dict) else None,
            ids, str(path), text,
        ).issues  # fmt: skip
        table = data.get("assessment")  # not a table: load_targets has said so
        if isinstance(table, dict):
            issues += questionnaire_from_table(table, str(path), text)[1]
        sources = _tables(data.get("source"))
    if sources:  # the [[source]] tables and the mapping files they name
        from servicelevel.collectors.mapped.mapping import MappingInvalid, load_sources

        try:
            load_sources(path, sources)
        except MappingInvalid as exc:
            issues = [*issues, *exc.errors]
    return issues


def _tables(value: object) -> list[dict[str, Any]]:
    """The tables of an array of tables, whatever else a broken file put there."""
    return [t for t in value if isinstance(t, dict)] if isinstance(value, list) else []


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """Create or migrate the database schema to the latest version."""
    from servicelevel.cli.options import open_engine
    from servicelevel.store import resolve_url

    open_engine(db_url)
    click.echo(f"schema up to date: {_safe_url(resolve_url(db_url))}")


@db.command("rebuild")
@db_option
@targets_option
def db_rebuild(db_url: str | None, targets_path: Path) -> None:
    """Rebuild the rollups for the targets' definition now, if it changed.

    The worker (or ``serve``) does this on its own within seconds of a change to a threshold,
    the short-abandon limit, the time zone or business hours; until then the dashboard shows
    the previous figures marked "recomputing". Progress is on the Sources page.
    """
    from servicelevel.cli.options import open_engine
    from servicelevel.context import rollup_spec
    from servicelevel.store.rollups_job import RollupRebuildJob

    config = load_or_fail(targets_path)

    def progress(done: int, total: int) -> None:
        if total:
            click.echo(f"recounting: {done} of {total} calls", err=True)

    job = RollupRebuildJob(open_engine(db_url), on_progress=progress)
    spec = rollup_spec(config)
    outcome = job.run_once(spec)
    if outcome is not None:
        what = "calls recounted" if outcome.kind == "calls" else "quarter hours regrouped"
        click.echo(f"rollups rebuilt: {outcome.rows} {what}")
    elif job.state(spec).needs_rebuild:
        click.echo("rollups: another process is rebuilding them now (see the Sources page)")
    else:
        click.echo("rollups: already up to date")
