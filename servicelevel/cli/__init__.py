"""The ``servicelevel`` command: parse options, call the library, print.

Each command's docstring is its ``--help``. Errors leave as one line
(``targets.toml:12: target[2].kpi: ...``) with a non-zero exit code; the work lives in the library.
One module per family of commands; importing them registers them on :data:`main`.
"""

from __future__ import annotations

import click

from servicelevel.cli import ingest, maintenance, report, serving, status  # noqa: F401  (register)
from servicelevel.cli.options import IMPORT_KINDS, TARGETS_ENV, load_or_fail, main
from servicelevel.cli.serving import collector_jobs
from servicelevel.errors import ServicelevelError

__all__ = ["IMPORT_KINDS", "TARGETS_ENV", "collector_jobs", "load_or_fail", "main", "run"]


def run() -> None:
    """Entry point that turns our errors into one line and exit code 1."""
    try:
        main(standalone_mode=True)
    except ServicelevelError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
