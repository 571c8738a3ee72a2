"""``import`` and ``quarantine``: getting facts in, and what could not be read."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicelevel.cli.options import (
    db_option,
    import_kinds,
    load_or_fail,
    main,
    targets_option,
)
from servicelevel.errors import ServicelevelError


class _ImportKind(click.Choice[str]):
    """``click.Choice`` over :func:`import_kinds`, read when used: a kind registered after
    start-up (a plug-in, a test) is a choice too, with the usual "is not one of" error."""

    def __init__(self) -> None:
        super().__init__(import_kinds())

    @property
    def choices(self) -> tuple[str, ...]:
        return import_kinds()

    @choices.setter
    def choices(self, value: object) -> None:
        pass  # always the registry's


@main.command("import")
@click.argument("kind", type=_ImportKind())
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
    of it stopped. Exit code 1 when a file or source could not be read, 2 when the targets
    file or the mapping has a mistake, 3 with --strict when any row was quarantined.
    """
    from servicelevel.cli.options import open_engine
    from servicelevel.collectors import runner
    from servicelevel.collectors.base import RunResult
    from servicelevel.collectors.mapped.mapping import load_mapping, load_sources
    from servicelevel.collectors.registry import COLLECTORS
    from servicelevel.context import rollup_spec

    config = load_or_fail(targets_path)
    collector = COLLECTORS.get(kind)  # None for "sources"
    mapped = collector is not None and collector.mapped
    if mapped and mapping_path is None:
        raise click.UsageError(f"{kind} needs --mapping FILE (see docs/collectors.md)")
    if not mapped and mapping_path is not None:
        raise click.UsageError(f"{kind} takes no --mapping")
    if kind != "sources" and not paths:
        raise click.UsageError("give at least one PATH")
    mapping = None
    if collector is not None and mapped and mapping_path is not None:
        mapping = load_mapping(mapping_path, collector.fact_kind)
    engine = open_engine(db_url)
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
@click.option(
    "--unmasked",
    is_flag=True,
    help="Show rows and reasons as stored (they may hold personal data), not masked.",
)
@click.pass_context
def quarantine(
    ctx: click.Context,
    db_url: str | None,
    source: str | None,
    limit: int,
    show_all: bool,
    unmasked: bool,
) -> None:
    """List quarantined input rows with their reasons (newest first).

    Rows are masked as the dashboard shows them to editors (phone-like numbers, e-mail
    addresses, agent channels, names and quoted values), since a terminal is read over
    shoulders and pasted into tickets; --unmasked shows what was stored, to fix a mapping.
    Fix the cause (usually the mapping), then: servicelevel quarantine replay.
    """
    ctx.obj = {"db_url": db_url, "source": source}
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy.orm import Session

    from servicelevel.cli.options import open_engine
    from servicelevel.collectors.replay import pending

    engine = open_engine(db_url, create=False)  # listing only: never create an empty store
    with Session(engine) as session:
        rows = pending(session, source, include_replayed=show_all)
    from servicelevel.privacy import mask_message, mask_raw

    for row in reversed(rows[-limit:] if limit else rows):
        replayed = " (replayed)" if row.replayed_at is not None else ""
        reason = row.reason if unmasked else mask_message(row.reason)
        click.echo(f"#{row.id} {row.source}\n  {row.location}: {reason}{replayed}")
        if row.raw:
            click.echo(f"    {row.raw if unmasked else mask_raw(row.raw)}")
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
    from servicelevel.cli.options import open_engine
    from servicelevel.collectors.mapped.mapping import load_mapping, load_sources
    from servicelevel.collectors.replay import replay
    from servicelevel.context import rollup_spec

    parent = ctx.obj or {}
    db_url = db_url or parent.get("db_url")
    source = source or parent.get("source")
    config = load_or_fail(targets_path)
    mapping = load_mapping(mapping_path) if mapping_path else None
    configured = load_sources(targets_path, config.source) if config.source else []
    engine = open_engine(db_url)
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
