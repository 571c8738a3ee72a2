"""Shared pieces of the ``servicelevel`` command: the group, common options, loading the targets."""

from __future__ import annotations

from pathlib import Path

import click

from servicelevel.config import Targets, load_targets

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


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
