"""``report weekly``: the Monday summary, printed or sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from servicelevel.cli.options import (
    db_option,
    load_or_fail,
    main,
    targets_option,
)


@main.group()
def report() -> None:
    """Emailed reports."""


@report.command("weekly")
@db_option
@targets_option
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the last complete).")
@click.option(
    "--html",
    "html_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML email (charts inline) to this file.",
)
@click.option("--text", "show_text", is_flag=True, help="Print the plain-text email.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the whole summary as one JSON object instead (sends nothing without --send).",
)
@click.option("--send", is_flag=True, help="Send it to [report.weekly] to, once per week.")
@click.option("--force", is_flag=True, help="With --send: send even if already sent.")
def report_weekly(
    db_url: str | None,
    targets_path: Path,
    week: str | None,
    html_path: Path | None,
    show_text: bool,
    as_json: bool,
    send: bool,
    force: bool,
) -> None:
    """The weekly summary of a site-local week (Monday to Sunday).

    Without --html, --text, --json or --send it prints the plain-text email. --json prints
    the summary for scripts (targets, breaches, problems, the week's bounds) and, like the
    preview, sends nothing unless --send is given too. --send records the sending in the
    database, so a week goes out once; --force sends it again.
    """
    from servicelevel.cli.options import open_engine
    from servicelevel.config.delivery import report_settings
    from servicelevel.reports import weekly

    config = load_or_fail(targets_path)
    settings = report_settings(config)
    if settings.issues:
        for issue in settings.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(2)
    if force and not send:
        raise click.UsageError("--force goes with --send")
    if as_json and show_text:
        raise click.UsageError("use either --json or --text: both print to standard output")
    try:
        chosen = (
            weekly.Week.parse(week)
            if week
            else weekly.Week.last_complete(datetime.now(UTC), config)
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    if send and (settings.weekly is None or settings.smtp is None):
        raise click.UsageError("--send needs [report.weekly] and [report.smtp] in the targets")
    engine = open_engine(db_url, create=False)  # a typo must not read as a quiet week
    if html_path is not None or show_text or as_json or not send:
        built = weekly.build_weekly(engine, config, chosen)
        if as_json:
            click.echo(json.dumps(weekly.summary_json(built), indent=2))
        if html_path is not None or show_text or not (send or as_json):
            rendered = weekly.render_weekly(built, settings, charts=html_path is not None)
            if html_path is not None:
                html_path.write_text(rendered.html, encoding="utf-8")
                click.echo(f"{chosen.label}: HTML email written to {html_path}", err=True)
            if show_text or (html_path is None and not (send or as_json)):
                click.echo(f"Subject: {rendered.subject}\n")
                click.echo(rendered.text)
    if send:
        assert settings.weekly is not None and settings.smtp is not None  # checked above
        outcome = weekly.send_weekly(engine, config, settings, chosen, force=force)
        # With --json, standard output is the JSON alone: the outcome goes to standard error.
        click.echo(f"{chosen.label}: {outcome.reason}", err=as_json or not outcome.sent)
