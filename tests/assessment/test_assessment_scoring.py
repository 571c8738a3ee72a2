"""Scoring the self-assessment exactly: area means, the total, its band at the very edges.

The bands: 28 or more is an asset, above 20 and below 28 adequate, 20 or less likely losing
customers. The edges are where floats go wrong (three thirds of 61 add up to 20.333...), so
each is checked with totals exactly on it and just beside it.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from servicelevel.assessment import (
    AREAS,
    DEFAULT_STATEMENTS,
    Assessment,
    band_of,
    rounded,
    shown_total,
)

DAY = date(2026, 12, 1)
EXAMPLE = {  # docs/assessment.md's record file
    "culture": (5, 4, 4, 3),
    "products": (4, 4, 5, 3),
    "feedback": (3, 4, 4),
    "knowing": (4, 3, 4),
    "contact": (5, 4, 4),
    "empowerment": (4, 4, 3, 4, 5),
    "improvement": (4, 3, 4),
}


def rated(ratings: dict[str, tuple[int, ...]], statements=None) -> Assessment:
    statements = statements or {a: tuple(f"{a} {i}" for i in range(len(r)))
                                for a, r in ratings.items()}  # fmt: skip
    return Assessment(DAY, "owner", statements, ratings)


def every_area(*ratings: int) -> dict[str, tuple[int, ...]]:
    """The same ratings for all seven areas."""
    return {area: tuple(ratings) for area in AREAS}


def test_an_area_scores_the_mean_of_its_ratings_and_the_total_their_sum():
    result = rated(EXAMPLE, DEFAULT_STATEMENTS)
    assert result.areas == {
        "culture": Fraction(4), "products": Fraction(4), "feedback": Fraction(11, 3),
        "knowing": Fraction(11, 3), "contact": Fraction(13, 3), "empowerment": Fraction(4),
        "improvement": Fraction(11, 3),
    }  # fmt: skip
    assert result.total == Fraction(82, 3)  # 27.333...
    assert result.band == "adequate"
    assert result.weakest == ["feedback", "knowing", "improvement"]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (Fraction(7), "losing"),
        (Fraction(20), "losing"),  # 20 and below: likely losing customers
        (Fraction(20) + Fraction(1, 10**9), "adequate"),
        (Fraction(61, 3), "adequate"),  # 20.333...
        (Fraction(28) - Fraction(1, 10**9), "adequate"),
        (Fraction(83, 3), "adequate"),  # 27.666...
        (Fraction(28), "asset"),  # 28 and above: an asset
        (Fraction(35), "asset"),
    ],
)
def test_the_band_edges_are_exact(total, band):
    assert band_of(total) == band


def test_a_total_of_exactly_20_is_losing_customers():
    # Five areas at 3 and two at 8/3 and 7/3: 15 + 5 = 20, reached through thirds.
    ratings = {**every_area(3, 3, 3), "knowing": (3, 3, 2), "contact": (2, 3, 2)}
    result = rated(ratings)
    assert result.total == 20 and result.band == "losing"
    assert result.as_json()["total"] == 20.0


def test_a_total_of_exactly_28_is_an_asset():
    result = rated(every_area(4, 4, 4))
    assert result.total == 28 and result.band == "asset"
    assert result.weakest == list(AREAS)  # all tied: every area is the weakest


def test_a_total_of_20_and_a_third_is_adequate():
    # Five areas at 3, two at 8/3: 15 + 16/3 = 61/3 = 20.333..., above the edge of 20.
    ratings = {**every_area(3, 3, 3), "knowing": (3, 3, 2), "contact": (3, 3, 2)}
    result = rated(ratings)
    assert result.total == Fraction(61, 3)
    assert result.band == "adequate"
    assert result.as_json()["total"] == 20.33


def test_a_total_just_under_28_is_adequate_and_never_printed_as_28():
    # Twenty statements in one area, one of them a 3: 6 x 4 + 79/20 = 27.95.
    ratings = {**every_area(4, 4, 4), "culture": (4,) * 19 + (3,)}
    result = rated(ratings)
    assert result.total == Fraction(559, 20) and result.band == "adequate"
    assert result.as_json()["total"] == 27.95
    # Closer still (27.999 rounds to 28.00): shown as 27.99, so the figure agrees with the band.
    close = Fraction(28) - Fraction(1, 1000)
    assert band_of(close) == "adequate" and rounded(close) == 28
    assert shown_total(close) == Fraction(2799, 100)
    just_over = Fraction(20) + Fraction(1, 1000)  # 20.001 is adequate: shown 20.01, not 20.00
    assert shown_total(just_over) == Fraction(2001, 100)
    assert shown_total(Fraction(20)) == 20 and shown_total(Fraction(28)) == 28


def test_scores_are_rounded_halves_up_only_to_be_shown():
    assert rounded(Fraction(3665, 1000)) == Fraction(367, 100)
    assert rounded(Fraction(2, 3)) == Fraction(67, 100)
    assert rounded(Fraction(1, 3)) == Fraction(33, 100)


def test_the_json_names_date_total_band_areas_author_and_weakest():
    out = rated(EXAMPLE, DEFAULT_STATEMENTS).as_json()
    assert out == {
        "date": "2026-12-01",
        "author": "owner",
        "total": 27.33,
        "band": "adequate",
        "areas": {"culture": 4.0, "products": 4.0, "feedback": 3.67, "knowing": 3.67,
                  "contact": 4.33, "empowerment": 4.0, "improvement": 3.67},
        "weakest": ["feedback", "knowing", "improvement"],
    }  # fmt: skip


def test_the_summary_names_the_weakest_areas_by_title():
    result = rated({**EXAMPLE, "contact": (1, 2, 2)}, DEFAULT_STATEMENTS)
    assert result.weakest == ["contact"]
    assert result.summary() == (
        "total 24.67 of 35: adequate (needs general improvement); weakest: Ease of contact (1.67)"
    )
