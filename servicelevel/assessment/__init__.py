"""The customer-focus self-assessment (issue 16): seven areas of statements rated 1 to 5.

The service policy asks for a baseline of how customer-focused the business is; see
docs/assessment.md. One idea a module: ``scoring`` (area means, the total and its band, in
exact fractions), ``answers`` (a record file or the dashboard's form, checked once, with located
issues) and ``records`` (the ``assessments`` table). The statements themselves are policy:
``[assessment]`` in targets.toml, read by :mod:`servicelevel.config.assessment`.
"""

from servicelevel.assessment.answers import (
    AssessmentInvalid,
    check_answers,
    parse_answers,
    read_answers,
)
from servicelevel.assessment.records import latest_assessment, list_assessments, save_assessment
from servicelevel.assessment.scoring import (
    ASSET_FROM,
    BANDS,
    HIGHEST_RATING,
    LOSING_UP_TO,
    LOWEST_RATING,
    MAX_TOTAL,
    MIN_TOTAL,
    RATING_WORDS,
    Assessment,
    Band,
    band_of,
    rounded,
    score_text,
    shown_total,
)
from servicelevel.config.assessment import (
    AREAS,
    DEFAULT_STATEMENTS,
    Questionnaire,
    assessment_questionnaire,
)

__all__ = [
    "AREAS",
    "ASSET_FROM",
    "BANDS",
    "DEFAULT_STATEMENTS",
    "HIGHEST_RATING",
    "LOSING_UP_TO",
    "LOWEST_RATING",
    "MAX_TOTAL",
    "MIN_TOTAL",
    "RATING_WORDS",
    "Assessment",
    "AssessmentInvalid",
    "Band",
    "Questionnaire",
    "assessment_questionnaire",
    "band_of",
    "check_answers",
    "latest_assessment",
    "list_assessments",
    "parse_answers",
    "read_answers",
    "rounded",
    "save_assessment",
    "score_text",
    "shown_total",
]
