"""Scoring the customer-focus self-assessment: area means, the total and its band, exactly.

An area's score is the mean of its statements' ratings (1 never to 5 always); the total is
the sum of the seven area scores (7 to 35). The band (docs/assessment.md):

* ``asset``: total 28 or more, customer focus is an asset to the business;
* ``adequate``: above 20 and below 28, it needs general improvement;
* ``losing``: 20 or less, the business is likely losing customers.

Why fractions: a mean of three ratings is a third of something, and 61/3 (20.333...) must land
above 20 while 20 lands on it; binary floats get such sums wrong in the last digit, and the last
digit decides the band. Scores are kept as ``Fraction`` and rounded only to be shown
(:func:`shown`), never to be compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal

from servicelevel.config.assessment import AREAS

Band = Literal["asset", "adequate", "losing"]

LOWEST_RATING, HIGHEST_RATING = 1, 5  # a rating: 1 never ... 5 always
RATING_WORDS = {1: "never", 2: "rarely", 3: "sometimes", 4: "usually", 5: "always"}
ASSET_FROM = Fraction(28)  # a total at or above this is an asset
LOSING_UP_TO = Fraction(20)  # a total at or below this is likely losing customers
MIN_TOTAL, MAX_TOTAL = LOWEST_RATING * len(AREAS), HIGHEST_RATING * len(AREAS)  # 7 and 35
BANDS: dict[Band, str] = {
    "asset": "an asset to the business",
    "adequate": "needs general improvement",
    "losing": "likely losing customers",
}


def band_of(total: Fraction) -> Band:
    """The band of an exact total (see the module docstring for the edges)."""
    if total >= ASSET_FROM:
        return "asset"
    if total > LOSING_UP_TO:
        return "adequate"
    return "losing"


def rounded(value: Fraction, places: int = 2) -> Fraction:
    """``value`` to ``places`` decimals, halves up (3.665 -> 3.67), as people round."""
    scale = 10**places
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def shown_total(total: Fraction) -> Fraction:
    """The total rounded for showing, never onto the other side of a band edge.

    With many statements a total can be 27.998: rounded it reads 28.00, which is an asset,
    while the band says adequate. Such a total is shown as 27.99 (and 20.004 as 20.01), so the
    figure and the band never contradict each other.
    """
    shown = rounded(total)
    step = Fraction(1, 100)
    if total < ASSET_FROM <= shown:
        return ASSET_FROM - step
    if total > LOSING_UP_TO >= shown:
        return LOSING_UP_TO + step
    return shown


def score_text(value: Fraction) -> str:
    """A score as printed: two decimals."""
    return f"{float(rounded(value)):.2f}"


@dataclass(frozen=True)
class Assessment:
    """One self-assessment: who rated, on which day, each area's statements and ratings.

    The statements are kept with the ratings: they are configurable, so a result must say what
    was answered, even after the targets file has changed them.
    """

    assessed_on: date
    author: str
    statements: Mapping[str, Sequence[str]]
    ratings: Mapping[str, Sequence[int]]
    recorded_at: datetime | None = None

    @property
    def areas(self) -> dict[str, Fraction]:
        """area -> the mean of its ratings, exact, in the order of :data:`AREAS`."""
        return {area: Fraction(sum(self.ratings[area]), len(self.ratings[area])) for area in AREAS}

    @property
    def total(self) -> Fraction:
        return sum(self.areas.values(), Fraction(0))

    @property
    def band(self) -> Band:
        return band_of(self.total)

    @property
    def weakest(self) -> list[str]:
        """The areas with the lowest score (all of them when tied), in the order of AREAS."""
        areas = self.areas
        lowest = min(areas.values())
        return [area for area, score in areas.items() if score == lowest]

    def as_json(self) -> dict[str, Any]:
        """``assessment show --json``: scores rounded to two decimals, names as in the file."""
        return {
            "date": self.assessed_on.isoformat(),
            "author": self.author,
            "total": float(shown_total(self.total)),
            "band": self.band,
            "areas": {area: float(rounded(score)) for area, score in self.areas.items()},
            "weakest": self.weakest,
        }

    def weakest_text(self) -> str:
        """The weakest areas by name, for people: "Responsiveness to feedback (3.00)"."""
        areas = self.areas
        return ", ".join(f"{AREAS[a]} ({score_text(areas[a])})" for a in self.weakest)

    def summary(self) -> str:
        """One line: the total, its band and the weakest areas."""
        total = f"{float(shown_total(self.total)):.2f}"
        return (
            f"total {total} of {MAX_TOTAL}: {self.band} ({BANDS[self.band]}); "
            f"weakest: {self.weakest_text()}"
        )
