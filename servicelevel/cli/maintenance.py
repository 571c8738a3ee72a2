"""``targets check`` and ``db upgrade``: the commands that check and prepare, never read figures."""

from __future__ import annotations

from pathlib import Path

import click

from servicelevel.cli.options import (
    TARGETS_ENV,
    _safe_url,
    db_option,
    main,
)
from servicelevel.config import load_targets


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
