"""``assessment record`` and ``assessment show``: the customer-focus self-assessment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from servicelevel.cli.options import db_option, load_or_fail, main, targets_option

if TYPE_CHECKING:
    from servicelevel.assessment import Assessment


@main.group()
def assessment() -> None:
    """The customer-focus self-assessment: seven areas rated 1 (never) to 5 (always).

    See docs/assessment.md for the areas, the statements, the scoring and the record file.
    """


@assessment.command("record")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@targets_option
def assessment_record(path: Path, db_url: str | None, targets_path: Path) -> None:
    """Store the self-assessment in PATH (a TOML file: date, author, [ratings]).

    The ratings are checked against the statements of [assessment] in the targets file (or
    the default ones): every mistake is printed with its line and nothing is stored (exit
    code 2). The same day and author recorded again replaces the earlier answers.
    """
    from servicelevel.assessment import AssessmentInvalid, read_answers, save_assessment
    from servicelevel.cli.options import open_engine
    from servicelevel.config.assessment import assessment_questionnaire

    config = load_or_fail(targets_path)
    questionnaire, issues = assessment_questionnaire(config)
    if questionnaire is None:
        raise AssessmentInvalid(issues)
    today = datetime.now(UTC).astimezone(config.operation.tz).date()
    answers = read_answers(path, questionnaire, today=today)  # checked before any database
    outcome = save_assessment(open_engine(db_url), answers)
    said = {"recorded": "recorded", "replaced": "recorded (replacing the earlier answers)",
            "unchanged": "already recorded, unchanged"}[outcome]  # fmt: skip
    click.echo(f"{answers.assessed_on.isoformat()} by {answers.author}: {said}")
    click.echo(answers.summary())


def _lines(result: Assessment) -> list[str]:
    from servicelevel.assessment import AREAS, score_text

    width = max(len(title) for title in AREAS.values())
    weakest = set(result.weakest)
    lines = [f"Customer-focus self-assessment of {result.assessed_on.isoformat()}, "
             f"by {result.author}"]  # fmt: skip
    for area, score in result.areas.items():
        mark = "  <- weakest" if area in weakest else ""
        lines.append(f"  {AREAS[area]:<{width}}  {score_text(score)} of 5{mark}")
    lines.append(result.summary()[:1].upper() + result.summary()[1:])
    return lines


@assessment.command("show")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (an object, or null).")
@click.option("--all", "show_all", is_flag=True, help="Every recorded result, oldest first.")
def assessment_show(db_url: str | None, as_json: bool, show_all: bool) -> None:
    """The latest self-assessment: each area's score, the total (7-35), its band and the
    weakest areas. --all lists every recorded result (--json: a list)."""
    from servicelevel.assessment import latest_assessment, list_assessments
    from servicelevel.cli.options import open_engine

    engine = open_engine(db_url, create=False)  # a reader: a mistyped URL is refused
    if show_all:
        results = list_assessments(engine)
        if as_json:
            click.echo(json.dumps([r.as_json() for r in results], indent=2))
            return
        for r in results:
            click.echo(f"{r.assessed_on.isoformat()}  {r.author}: {r.summary()}")
        if not results:
            click.echo("no self-assessment recorded yet", err=True)
        return
    latest = latest_assessment(engine)
    if as_json:
        click.echo(json.dumps(latest.as_json() if latest else None, indent=2))
        return
    if latest is None:
        click.echo(
            "no self-assessment recorded yet; record one with: servicelevel assessment record "
            "FILE.toml (see docs/assessment.md)",
            err=True,
        )
        return
    click.echo("\n".join(_lines(latest)))
