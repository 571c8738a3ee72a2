"""Shared pieces of the ``servicelevel`` command: the group, common options, loading the targets.

The group is also the CLI's one error boundary: whatever a command hits that a person must
fix (our `ServicelevelError`, a database connection lost mid-command, a file that cannot be
opened) leaves as one line per problem naming it, with exit code 2; ``--debug`` (or
``$SERVICELEVEL_DEBUG``) lets the traceback through instead. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from servicelevel.collectors.registry import file_kinds
from servicelevel.config import Targets, load_targets
from servicelevel.errors import DatabaseUnavailable, DatabaseUrlInvalid, ServicelevelError

if TYPE_CHECKING:
    from sqlalchemy import Engine

TARGETS_ENV = "SERVICELEVEL_TARGETS"
DEBUG_ENV = "SERVICELEVEL_DEBUG"


def import_kinds() -> tuple[str, ...]:
    """What ``servicelevel import`` takes: every file kind of the registry, then "sources"."""
    return (*file_kinds(), "sources")


IMPORT_KINDS = import_kinds()  # as registered at start-up; the command reads the registry live

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


def open_engine(db_url: str | None, *, create: bool = True) -> Engine:
    """The store for this command, disposed when the command ends.

    Why dispose: the pooled connections are then closed by us, not freed by a later garbage
    collection (psycopg warns "deleted while still open" then, and a CliRunner test runs many
    commands in one process). ``create=False`` is for the commands that only read (``status``,
    ``report``, ``serve``, the ``quarantine`` listing): a database that does not exist, is
    empty or has another schema revision is refused in one line, never created or migrated,
    so a mistyped URL cannot pass for a quiet week (see servicelevel.store.engine).
    """
    from servicelevel.store import make_engine

    engine = make_engine(db_url, create=create)
    click.get_current_context().call_on_close(engine.dispose)
    return engine


def load_or_fail(path: Path) -> Targets:
    """Load the targets file or stop with its located errors (exit code 2)."""
    result = load_targets(path)
    if not result.ok or result.targets is None:
        missing = not path.exists()
        for issue in result.errors:
            hint = f" (give --targets FILE or set ${TARGETS_ENV})" if missing else ""
            click.echo(f"{issue}{hint}", err=True)
        raise SystemExit(2)
    return result.targets


class Failed(click.ClickException):
    """A failure a person must fix, already worded: printed as is, exit code 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, err=file is None, file=file)


# What the boundary turns into one line: ours, and the outside failures a person fixes.
_TRANSLATED = (ServicelevelError, OperationalError, InterfaceError, OSError)


def one_line(exc: BaseException) -> str:
    """What the CLI prints for ``exc``: a line per problem, each naming what to fix."""
    errors = getattr(exc, "errors", None)
    if isinstance(exc, ServicelevelError) and isinstance(errors, list) and errors:
        return "\n".join(str(e) for e in errors)  # located issues: file:line: key: message
    if isinstance(exc, DatabaseUrlInvalid | DatabaseUnavailable):
        return f"error: {exc} (the URL comes from --db or $SERVICELEVEL_DB)"
    if isinstance(exc, ServicelevelError):
        return f"error: {exc}"
    if isinstance(exc, OperationalError | InterfaceError):
        lines = (line.strip() for line in str(exc.orig or exc).splitlines())
        return "error: the database failed: " + "; ".join(line for line in lines if line)
    assert isinstance(exc, OSError)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"error: {where}{exc.strerror or exc}"


class OneLineUsage(click.Command):
    """A command whose bad options leave as one line too (``error: Invalid value for
    '--target': ...``, exit code 2), not click's usage banner of four.

    For commands that are mostly numbers to check (``staffing``): the line names the option
    and what it takes, which is all the banner would add to.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise Failed(self._line(exc, info_name, parent)) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise Failed(self._line(exc, ctx.info_name, ctx.parent)) from exc

    @staticmethod
    def _line(exc: click.UsageError, name: str | None, parent: click.Context | None) -> str:
        path = " ".join(p for p in (parent.command_path if parent else "", name or "") if p)
        return f"error: {exc.format_message()} (see {path} --help)"


class Boundary(click.Group):
    """The ``servicelevel`` group: commands' failures leave as :func:`one_line`, exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _TRANSLATED as exc:
            if ctx.params.get("debug"):
                raise
            raise Failed(one_line(exc)) from exc


@click.group(cls=Boundary)
@click.version_option(package_name="servicelevel")
@click.option(
    "--debug",
    is_flag=True,
    envvar=DEBUG_ENV,
    help="Show the traceback of a failure instead of one line (env SERVICELEVEL_DEBUG=1).",
)
def main(debug: bool) -> None:
    """Is the customer-service operation keeping the promises of its service policy?

    A failure (a mistake in a file, a database that cannot be reached, a file that cannot be
    opened) is printed as one line per problem, with exit code 2.
    """


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
