"""``staffing``: how many agents one interval needs (Erlang C, or Erlang A with --patience).

The maths is :func:`servicelevel.staffing.agents_needed`; this module parses, checks and
prints. The options are checked by click, so a bad value is refused before any work, in one line
naming the option and what it takes (``error: Invalid value for '--target': '80' is not
PCT/SECONDS ...``, exit code 2; see :class:`~servicelevel.cli.options.OneLineUsage`).
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

from servicelevel.cli.options import OneLineUsage, main
from servicelevel.staffing import Staffing, StaffingTarget, agents_needed
from servicelevel.staffing.workload import decimal


class Finite(click.FloatRange):
    """A FloatRange that also refuses nan and inf (FloatRange lets nan through: every
    comparison with nan is false)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def parse_target(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float]:
    """``PCT/SECONDS``: 80/20 is 80 % of calls answered within 20 seconds.

    A callback rather than a ``click.ParamType``: that class is generic only from click 8.2,
    and we support 8.1.
    """
    text = value.strip()
    pct, slash, seconds = text.partition("/")
    try:
        level, within = float(pct), float(seconds)
    except ValueError:
        level = within = math.nan
    if not slash or not (math.isfinite(level) and math.isfinite(within)):
        raise click.BadParameter(
            f"{text!r} is not PCT/SECONDS, e.g. 80/20 (80 % of calls answered within 20 s)"
        )
    if not 0 < level < 100:
        raise click.BadParameter(
            f"{text!r}: the percentage must be above 0 and below 100 (no number of agents "
            "answers every call in time)"
        )
    if within < 0:
        raise click.BadParameter(f"{text!r}: the seconds must be 0 or more")
    return level, within


POSITIVE = Finite(min=0, min_open=True)


@main.command(cls=OneLineUsage)
@click.option("--calls", type=POSITIVE, required=True, help="Calls forecast in the interval.")
@click.option(
    "--interval-minutes",
    type=POSITIVE,
    default=30.0,
    show_default=True,
    help="Length of the interval the calls arrive in.",
)
@click.option("--aht", type=POSITIVE, required=True, help="Average handling time, in seconds.")
@click.option(
    "--target",
    metavar="PCT/SECONDS",
    required=True,
    callback=parse_target,
    help="Service level: PCT of calls answered within SECONDS, e.g. 80/20.",
)
@click.option("--asa", type=POSITIVE, default=None, help="Also: ASA at most this, in seconds.")
@click.option(
    "--max-abandon",
    type=Finite(min=0, max=100, min_open=True),
    default=None,
    help="Also: abandon rate at most this percentage (needs --patience).",
)
@click.option(
    "--patience",
    type=POSITIVE,
    default=None,
    help="Callers' mean patience in seconds: use Erlang A (callers hang up) instead of C.",
)
@click.option(
    "--max-occupancy",
    type=Finite(min=1, max=100),
    default=100.0,
    show_default=True,
    help="Highest share of time agents may spend on calls, percent (1-100).",
)
@click.option(
    "--shrinkage",
    type=Finite(min=0, max=100, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of scheduled time agents are not available (breaks, training), percent.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def staffing(
    calls: float,
    interval_minutes: float,
    aht: float,
    target: tuple[float, float],
    asa: float | None,
    max_abandon: float | None,
    patience: float | None,
    max_occupancy: float,
    shrinkage: float,
    as_json: bool,
) -> None:
    """Agents needed for one interval to meet a service-level target.

    Erlang C (callers wait as long as it takes), or with --patience Erlang A (callers hang up
    after a mean patience). Prints the traffic in Erlangs, the agents the target needs, the
    agents after the occupancy cap, the people to schedule after shrinkage, and what that
    staffing achieves. Formulas: docs/staffing.md.

    \b
    servicelevel staffing --calls 100 --aht 180 --target 80/20 --max-occupancy 85 --shrinkage 30
    """
    if max_abandon is not None and patience is None:
        raise click.UsageError(
            "--max-abandon needs --patience: abandons are modelled by Erlang A only"
        )
    level, within = target
    result = agents_needed(
        calls,
        interval_minutes * 60,
        aht,
        StaffingTarget(
            service_level=_fraction(level),
            answer_within_s=within,
            max_asa_s=asa,
            max_abandon_rate=None if max_abandon is None else _fraction(max_abandon),
        ),
        patience_s=patience,
        max_occupancy=_fraction(max_occupancy),
        shrinkage=_fraction(shrinkage),
    )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        click.echo(report(result))


def _fraction(percent: float) -> float:
    """A typed percentage as the fraction the library takes, via the decimal: 33.3 becomes
    0.333 (``33.3 / 100`` is 0.33299999999999996, which a ceiling would see)."""
    return float(decimal(percent) / 100)


def _num(x: float) -> str:
    return f"{x:g}"


def report(result: Staffing) -> str:
    """The plain-text answer: one figure a line, each with what it was computed from."""
    t = result.target
    model = (
        f"Erlang A (callers hang up after {_num(result.patience_s)} s on average)"
        if result.patience_s is not None
        else "Erlang C (callers never hang up)"
    )
    goal = f"{_num(100 * t.service_level)} % within {_num(t.answer_within_s)} s"
    if t.max_asa_s is not None:
        goal += f", ASA <= {_num(t.max_asa_s)} s"
    if t.max_abandon_rate is not None:
        goal += f", abandons <= {_num(100 * t.max_abandon_rate)} %"
    lines = [
        f"model                 {model}",
        f"traffic               {result.traffic_erlangs:.2f} Erlangs "
        f"({_num(result.calls)} calls x {_num(result.aht_s)} s / {_num(result.interval_s)} s)",
        f"agents for target     {result.agents_for_target}  ({goal})",
        f"after occupancy cap   {result.agents}  (max {_num(100 * result.max_occupancy)} %)",
        f"scheduled             {result.scheduled}  (shrinkage {_num(100 * result.shrinkage)} %)",
    ]
    perf = result.performance
    if perf is None:
        lines.append("no calls forecast: no agent needed")
        return "\n".join(lines)
    lines += [
        f"with {perf.agents} agents:",
        f"  service level       {100 * perf.service_level:.2f} % within "
        f"{_num(t.answer_within_s)} s",
        f"  ASA                 {perf.asa_s:.2f} s",
        f"  occupancy           {100 * perf.occupancy:.2f} %",
        f"  calls that wait     {100 * perf.wait_probability:.2f} %",
    ]
    if perf.abandon_rate is not None:
        lines.append(f"  abandon rate        {100 * perf.abandon_rate:.2f} %")
    return "\n".join(lines)
