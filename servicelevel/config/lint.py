"""Warnings: values that validate but are probably not what the analyst meant.

Why apart from validation: these are guesses. ``minimum = 0.8`` is a valid percentage (0.8 %),
but for a service level it is almost surely 80 % written as a fraction, and it makes every
window "ideal". A queue name that the database has never seen may be a typo, or a queue that
opens next week. So they are reported as warnings, located like errors: ``targets check``
prints them and passes, unless ``--strict``.
"""

from __future__ import annotations

from collections.abc import Iterable

from servicelevel.config.issues import ConfigIssue, _fmt, _suggest
from servicelevel.config.models import Targets
from servicelevel.config.translate import located_issue


def _warning(
    text: str, filename: str, loc: tuple[str | int, ...], message: str, hint: str | None = None
) -> ConfigIssue:
    issue = located_issue(text, filename, loc, message, hint)
    return ConfigIssue(
        issue.file, issue.line, issue.key, issue.message, issue.suggestion, "warning"
    )


def _percent(value: float) -> str:
    return _fmt(round(value * 100, 6))


def fraction_warnings(targets: Targets, text: str, filename: str) -> list[ConfigIssue]:
    """A percentage target whose minimum and ideal are both 1 or less: a fraction, surely.

    Located at the minimum (the line to change first); the message names both new values.
    """
    out = []
    for i, target in enumerate(targets.targets):
        if target.unit != "%" or max(target.minimum, target.ideal) > 1:
            continue
        if target.minimum == target.ideal == 0:
            continue  # "no abandons at all" is a policy, not a fraction
        out.append(
            _warning(
                text,
                filename,
                ("target", i, "minimum"),
                f"{target.kpi} is a percentage (80 means 80 %), but minimum "
                f"{_fmt(target.minimum)} and ideal {_fmt(target.ideal)} are both 1 or less, "
                f"as if written as fractions; did you mean minimum = {_percent(target.minimum)} "
                f"and ideal = {_percent(target.ideal)}?",
            )
        )
    return out


def unseen_queue_warnings(
    targets: Targets, known: Iterable[str], text: str, filename: str, where: str
) -> list[ConfigIssue]:
    """Each listed queue that has no call in the database ``where`` names (a typo, often).

    ``["*"]`` is never warned about: it means whichever queues there are.
    """
    seen = sorted(set(known))
    shown = ", ".join(seen) if seen else "none: it holds no calls yet"
    out = []
    for i, target in enumerate(targets.targets):
        if not target.definition.calls:
            continue
        for queue in target.queues:
            if queue == "*" or queue in seen:
                continue
            out.append(
                _warning(
                    text,
                    filename,
                    ("target", i, "queues"),
                    f'queue "{queue}" has no calls in {where}; its known queues: {shown}',
                    _suggest(queue, seen),
                )
            )
    return out
