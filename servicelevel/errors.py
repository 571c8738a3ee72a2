"""Our exceptions.

The hierarchy:

* ServicelevelError
  * ConfigError
    * TargetsInvalid
    * MappingInvalid (servicelevel.collectors.mapped.mapping)
    * AssessmentInvalid (servicelevel.assessment.answers)
  * StoreError
    * DatabaseUrlInvalid
    * DatabaseUnavailable
      * DatabaseNotReady
  * IngestError
  * MailError (servicelevel.reports.mailer)
  * StaffingError (also a ValueError)

The CLI catches `ServicelevelError` (and the few outside failures it translates: a lost
database connection, a file that cannot be opened) at one boundary, the ``servicelevel``
group, and prints it as one line per problem with exit code 2; ``--debug`` shows the
traceback instead. Bad targets.toml content is normally *data* (`config.load_targets` returns a
list of `ConfigIssue`); `TargetsInvalid` is for callers that cannot go on without valid targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from servicelevel.config import ConfigIssue


class ServicelevelError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(ServicelevelError):
    """The configuration cannot be used."""


class TargetsInvalid(ConfigError):
    """targets.toml has one or more problems; `errors` lists them, each located."""

    def __init__(self, errors: list[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid targets")


class StoreError(ServicelevelError):
    """The database cannot be reached, migrated or written."""


class DatabaseUrlInvalid(StoreError):
    """The database URL names nothing we can open: not a URL, or an unknown database/driver."""


class DatabaseUnavailable(StoreError):
    """The database the URL names cannot be opened: server down, login refused, no folder..."""


class IngestError(ServicelevelError):
    """A source cannot be read at all (bad rows go to quarantine instead)."""


class StaffingError(ServicelevelError, ValueError):
    """Inputs the staffing maths (servicelevel.staffing) cannot use: a negative call count, a
    service-level target of 100 % (no finite number of agents reaches it), an abandon target
    without a patience. Also a ``ValueError``, since that is what a caller passing numbers
    expects; the CLI checks its options first, so a person sees click's message instead."""


class DatabaseNotReady(DatabaseUnavailable):
    """The database is not there yet for a command that only reads: no such SQLite file, no
    schema, or a schema at another revision. Only ``import``, ``db upgrade`` and ``demo``
    create one (``worker`` too); the message says which to run. A `DatabaseUnavailable`, so
    whoever handles "cannot be opened" handles this as well."""
