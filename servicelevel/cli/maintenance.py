"""``targets check``, ``db upgrade`` and ``db rebuild``: the commands that check and prepare,
never read figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import tomlkit
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


@main.group()
def targets() -> None:
    """Work with the targets file."""


@targets.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def targets_check(path: Path | None) -> None:
    """Validate PATH (default: $SERVICELEVEL_TARGETS or ./targets.toml); exit 2 on errors.

    Every section is checked in one pass: the targets, [report] and [alerts], and the
    [[source]] tables with the mapping files they name.
    """
    import os

    path = path or Path(os.environ.get(TARGETS_ENV, "targets.toml"))
    result = load_targets(path)
    issues = [*result.errors, *_other_sections(path, result.targets)]
    if issues:
        for issue in issues:
            click.echo(str(issue), err=True)
        click.echo(f"{path}: {len(issues)} error(s)", err=True)
        raise SystemExit(2)
    assert result.targets is not None
    click.echo(f"{path}: ok, {len(result.targets.targets)} target(s)")


def _other_sections(path: Path, targets: Targets | None) -> list[ConfigIssue]:
    """The issues of [report]/[alerts] and [[source]], even when the targets did not validate.

    Those sections are plain tables of the targets model, so they can be checked from the
    file's raw tables whenever it is valid TOML.
    """
    from servicelevel.config.delivery import delivery_settings, report_settings

    if targets is not None:
        issues = report_settings(targets).issues
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
