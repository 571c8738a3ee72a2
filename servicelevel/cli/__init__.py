"""The ``servicelevel`` command: parse options, call the library, print.

Each command's docstring is its ``--help``. Errors leave as one line per problem
(``targets.toml:12: target[2].kpi: ...``, ``error: cannot open the database ...``) with exit
code 2, at one boundary: the group in :mod:`servicelevel.cli.options`; ``--debug`` shows the
traceback instead. The work lives in the library. One module per family of commands;
importing them registers them on :data:`main`.
"""

from __future__ import annotations

from servicelevel.cli import (  # noqa: F401  (register)
    assessment,
    ingest,
    maintenance,
    report,
    serving,
    staffing,
    status,
)
from servicelevel.cli.options import IMPORT_KINDS, TARGETS_ENV, load_or_fail, main
from servicelevel.cli.serving import collector_jobs

__all__ = ["IMPORT_KINDS", "TARGETS_ENV", "collector_jobs", "load_or_fail", "main", "run"]


def run() -> None:
    """The console script and ``python -m servicelevel``: the group, under its own name.

    Failures are turned into one line by the group itself, so CliRunner tests see what a
    person sees.
    """
    main(prog_name="servicelevel")
