"""A record file's mistakes are located issues: file, line, key, one line per problem, all at
once, and no assessment comes out of a file with any."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from servicelevel.assessment import (
    AssessmentInvalid,
    Questionnaire,
    check_answers,
    parse_answers,
    read_answers,
)

DEFAULTS = Questionnaire()
TODAY = date(2026, 12, 2)
# The example record file, as shipped and as docs/assessment.md shows it.
GOOD = (resources.files("servicelevel.examples") / "assessment.toml").read_text("utf-8")


def problems(text: str, questionnaire: Questionnaire = DEFAULTS) -> list[str]:
    result, issues = parse_answers(text, questionnaire, filename="answers.toml", today=TODAY)
    assert result is None, "a file with mistakes gave an assessment"
    return [str(i) for i in issues]


def test_the_example_file_is_read_with_its_statements():
    result, issues = parse_answers(GOOD, DEFAULTS, filename="answers.toml", today=TODAY)
    assert issues == [] and result is not None
    assert (result.assessed_on, result.author) == (date(2026, 12, 1), "owner")
    assert result.ratings["empowerment"] == (4, 4, 3, 4, 5)
    assert result.statements == DEFAULTS.statements()


def test_a_toml_date_is_a_date_too():
    result, issues = parse_answers(GOOD.replace('"2026-12-01"', "2026-12-01"), DEFAULTS,
                                   filename="answers.toml")  # fmt: skip
    assert issues == [] and result is not None and result.assessed_on == date(2026, 12, 1)


def test_a_missing_area_is_located_at_the_ratings_table():
    text = GOOD.replace("knowing = [4, 3, 4]\n", "")
    assert problems(text) == [
        'answers.toml:3: ratings.knowing: missing required key "knowing": 3 ratings, one per '
        "statement of Knowing customers, e.g. knowing = [5, 4, 5]"
    ]


def test_a_wrong_count_names_the_area_and_how_many_it_takes():
    assert problems(GOOD.replace("culture = [5, 4, 4, 3]", "culture = [5, 4, 4]")) == [
        "answers.toml:4: ratings.culture: expected 4 ratings, one per statement of "
        "Customer-focused culture, got 3"
    ]


@pytest.mark.parametrize("bad", ["0", "6", "4.5", "true", '"4"', "-1"])
def test_a_rating_outside_1_to_5_or_not_a_whole_number_is_located_at_its_place(bad):
    text = GOOD.replace("feedback = [3, 4, 4]", f"feedback = [3, {bad}, 4]")
    assert problems(text) == [
        f"answers.toml:6: ratings.feedback[2]: expected a whole number from 1 (never) to "
        f"5 (always), got {bad}"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"2026-13-01"', '"2026-13-01" is not a date; expected "YYYY-MM-DD", e.g. "2026-12-01"'),
        ('"1/12/2026"', '"1/12/2026" is not a date; expected "YYYY-MM-DD", e.g. "2026-12-01"'),
        ("2026-12-01T09:00:00", "2026-12-01 09:00:00 is not a date; expected "
                                '"YYYY-MM-DD", e.g. "2026-12-01"'),
        ('"2062-12-01"', "2062-12-01 is after today (2026-12-02); expected the day the "
                         "statements were rated"),
    ],
)  # fmt: skip
def test_a_bad_date_is_located(written, message):
    assert problems(GOOD.replace('"2026-12-01"', written)) == [f"answers.toml:1: date: {message}"]


def test_every_problem_is_reported_at_once_one_line_each_in_file_order():
    text = """\
date = "2026-02-30"
autor = "owner"
[ratings]
culture = [5, 4, 4]
products = [4, 4, 5, 3.5]
feedback = [3, 4, 4]
knowing = [4, 3, 9, 1]
contact = "x"
empowerment = [4, 4, 3, 4, 5]
improvment = [4, 3, 4]
"""
    assert problems(text) == [
        'answers.toml:1: date: "2026-02-30" is not a date; expected "YYYY-MM-DD", e.g. '
        '"2026-12-01"',
        'answers.toml:2: autor: unknown key "autor"; expected one of date, author, ratings '
        '(did you mean "author"?)',
        "answers.toml:4: ratings.culture: expected 4 ratings, one per statement of "
        "Customer-focused culture, got 3",
        "answers.toml:5: ratings.products[4]: expected a whole number from 1 (never) to "
        "5 (always), got 3.5",
        "answers.toml:7: ratings.knowing: expected 3 ratings, one per statement of Knowing "
        "customers, got 4",
        "answers.toml:7: ratings.knowing[3]: expected a whole number from 1 (never) to "
        "5 (always), got 9",
        "answers.toml:8: ratings.contact: expected a list of 3 ratings in square brackets, one "
        'per statement of Ease of contact, e.g. [5, 4, 5], got "x"',
        'answers.toml:10: ratings.improvment: unknown area "improvment"; expected one of '
        "culture, products, feedback, knowing, contact, empowerment, improvement "
        '(did you mean "improvement"?)',
    ]  # the misspelt author and improvement are one issue each, not also "missing"


def test_a_file_without_ratings_or_author_says_what_is_missing():
    assert problems('date = "2026-12-01"\n') == [
        'answers.toml: author: missing required key "author": who rated the statements, '
        'e.g. author = "owner"',
        'answers.toml: ratings: missing required key "ratings": a [ratings] table with one '
        "list of ratings per area: culture, products, feedback, knowing, contact, "
        "empowerment, improvement",
    ]


def test_a_syntax_error_is_located_at_its_line():
    [line] = problems(GOOD.replace("[ratings]", "[ratings"))
    assert line.startswith("answers.toml:3: not valid TOML at column")


def test_the_counts_are_those_of_the_configured_statements():
    mine = Questionnaire(contact=["We answer the phone", "We answer e-mail the same day"])
    assert problems(GOOD, mine) == [
        "answers.toml:8: ratings.contact: expected 2 ratings, one per statement of Ease of "
        "contact, got 3"
    ]
    result, issues = parse_answers(GOOD.replace("[5, 4, 4]\n", "[5, 4]\n"), mine,
                                   filename="answers.toml")  # fmt: skip
    assert issues == [] and result is not None
    assert result.statements["contact"] == ("We answer the phone", "We answer e-mail the same day")


def test_the_form_posts_unanswered_statements_as_none():
    data = {"date": "2026-12-01", "author": "alice",
            "ratings": {**{a: [4] * len(s) for a, s in DEFAULTS.statements().items()},
                        "feedback": [4, None, 4]}}  # fmt: skip
    result, issues = check_answers(data, DEFAULTS, filename="the form")
    assert result is None
    assert [str(i) for i in issues] == [
        "the form: ratings.feedback[2]: not answered: choose from 1 (never) to 5 (always)"
    ]


def test_reading_a_file_raises_every_issue_at_once(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text(GOOD.replace('"owner"', '""').replace("[4, 3, 4]\n", "[4, 3, 7]\n"))
    with pytest.raises(AssessmentInvalid) as caught:
        read_answers(path, DEFAULTS)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:2: author: must not be empty",
        f"{path}:7: ratings.knowing[3]: expected a whole number from 1 (never) to 5 (always), "
        "got 7",
        f"{path}:10: ratings.improvement[3]: expected a whole number from 1 (never) to "
        "5 (always), got 7",
    ]
    with pytest.raises(AssessmentInvalid, match="file not found"):
        read_answers(tmp_path / "nope.toml", DEFAULTS)


def test_the_docs_show_the_shipped_example_record_file():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "assessment.md").read_text("utf-8")
    assert f"```toml\n{GOOD}```" in docs
