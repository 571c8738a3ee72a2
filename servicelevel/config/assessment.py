"""``[assessment]`` in targets.toml: the statements of the customer-focus self-assessment.

The service policy asks for a baseline self-assessment of how customer-focused the business is:
seven areas, each a few statements rated 1 (never) to 5 (always); see docs/assessment.md. The
areas are fixed (the scoring and its bands are built on seven of them); the statements are the
business's own, so each area's list may be rewritten here. An area left out keeps the default
statements below, which docs/assessment.md quotes word for word::

    [assessment]
    # Rewrites the statements of one area; the others keep the default ones.
    contact = [
      "Customers can reach us by phone, e-mail and in writing, and find the details easily",
      "Calls are answered within the time our service policy promises",
      "A customer is never passed between departments to get an answer",
    ]

Why a module of its own, read apart from the targets (as ``[report]`` is, see
:mod:`servicelevel.config.delivery`): a mistake in a statement must not stop the figures, the
wallboard or the alerts. ``Targets`` keeps the section as a plain table; the assessment
command and page read it through :func:`assessment_questionnaire`, which returns either the
questionnaire or located issues (``targets.toml:40: assessment.contact[2]: ...``), and
``targets check`` reports those issues with the rest of the file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from servicelevel.config.delivery import _source
from servicelevel.config.issues import ConfigIssue, _fail, _show
from servicelevel.config.models import Targets
from servicelevel.config.translate import validation_issues

# key -> title, in the order the policy lists the areas (and every screen shows them).
AREAS: dict[str, str] = {
    "culture": "Customer-focused culture",
    "products": "Customer-focused products and sales",
    "feedback": "Responsiveness to feedback",
    "knowing": "Knowing customers",
    "contact": "Ease of contact",
    "empowerment": "Staff empowerment",
    "improvement": "Continuous improvement",
}

# The default statements (docs/assessment.md quotes them; a test keeps the two equal).
DEFAULT_STATEMENTS: dict[str, tuple[str, ...]] = {
    "culture": (
        "Managers talk about customers' needs in every team meeting",
        "Every member of staff knows who our customers are and what they expect from us",
        "Decisions are checked against what they mean for customers before they are taken",
        "Staff who go out of their way for a customer are recognised for it",
    ),
    "products": (
        "We design and change our products and services from what customers tell us they need",
        "Sales staff recommend what suits the customer, even when it is not the dearest option",
        "Prices, terms and conditions are explained plainly before the customer buys",
        "We promise only the delivery dates and results we know we can keep",
    ),
    "feedback": (
        "Every complaint is logged, answered and resolved within the time we promise",
        "We ask customers for their opinion after they have dealt with us",
        "We tell customers what we changed because of their feedback",
    ),
    "knowing": (
        "We know why our customers buy from us and why some of them stop",
        "Staff can see a customer's history with us before they answer",
        "We review who our customers are and how their needs change at least once a year",
    ),
    "contact": (
        "Customers can reach us by phone, e-mail and in writing, and find the details easily",
        "Calls are answered within the time our service policy promises",
        "A customer is never passed between departments to get an answer",
    ),
    "empowerment": (
        "Staff may put a customer's problem right without asking a manager first",
        "Staff know how far they may go to satisfy a customer: a refund, a replacement, "
        "a gesture of goodwill",
        "Staff are trained in our products and in handling customers before they deal with "
        "them alone",
        "Staff have the information and tools they need to answer a customer at the first contact",
        "Managers back the decisions staff make for customers, even when they would have decided "
        "differently",
    ),
    "improvement": (
        "We measure our service against the targets of our service policy every week",
        "We act on the causes of complaints, not only on the complaints themselves",
        "We compare our service with that of our competitors and of the best businesses we know",
    ),
}

# A statement is read and answered by a person: one sentence, not a page. Twenty statements
# in an area is already a long form; more is a list pasted in by mistake.
MAX_STATEMENTS = 20
MAX_STATEMENT_CHARS = 300


def _defaults(area: str) -> Any:
    return Field(
        default_factory=lambda: list(DEFAULT_STATEMENTS[area]),
        description=f"statements on {AREAS[area].lower()}, each rated 1 (never) to 5 (always)",
    )


class Questionnaire(BaseModel):
    """The statements of each area, in the order they are asked (and rated in a record file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    culture: list[str] = _defaults("culture")
    products: list[str] = _defaults("products")
    feedback: list[str] = _defaults("feedback")
    knowing: list[str] = _defaults("knowing")
    contact: list[str] = _defaults("contact")
    empowerment: list[str] = _defaults("empowerment")
    improvement: list[str] = _defaults("improvement")

    @field_validator(*AREAS, mode="before")
    @classmethod
    def _statements(cls, value: object) -> list[str]:
        if not isinstance(value, list):
            raise _fail(
                'expected a list of statements in square brackets, e.g. ["Managers talk about '
                f"customers' needs in every team meeting\"], got {_show(value)}"
            )
        if not value:
            raise _fail("expected at least one statement (leave the area out for the defaults)")
        if len(value) > MAX_STATEMENTS:
            raise _fail(f"expected at most {MAX_STATEMENTS} statements, got {len(value)}")
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise _fail(f"expected a statement in double quotes, got {_show(item)}", at=(i,))
            text = " ".join(item.split())
            if not text:
                raise _fail("a statement must not be empty", at=(i,))
            if len(text) > MAX_STATEMENT_CHARS:
                raise _fail(
                    f"expected at most {MAX_STATEMENT_CHARS} characters, got {len(text)}",
                    at=(i,),
                )
            if text.casefold() in seen:
                raise _fail(
                    f"the same statement as number {seen[text.casefold()] + 1}; "
                    "expected each statement once",
                    at=(i,),
                )
            seen[text.casefold()] = i
        return [" ".join(item.split()) for item in value]

    def statements(self) -> dict[str, tuple[str, ...]]:
        """area -> its statements, in the order of :data:`AREAS`."""
        return {area: tuple(getattr(self, area)) for area in AREAS}


def questionnaire_from_table(
    table: Any, filename: str, text: str
) -> tuple[Questionnaire | None, list[ConfigIssue]]:
    """The questionnaire from the raw ``[assessment]`` table (None: the defaults), or its
    located issues; for ``targets check`` on a file whose targets did not validate too."""
    if table is None:
        return Questionnaire(), []
    if not isinstance(table, dict):
        issue = ConfigIssue(
            filename, None, "assessment", "expected a table: an [assessment] section"
        )
        return None, [issue]
    try:
        return Questionnaire.model_validate(table), []
    except ValidationError as exc:
        return None, validation_issues(exc, text, filename, Questionnaire, ("assessment",))


def assessment_questionnaire(
    targets: Targets, text: str | None = None
) -> tuple[Questionnaire | None, list[ConfigIssue]]:
    """The statements to rate: the targets file's ``[assessment]`` over the defaults.

    ``text`` is the targets file's text, read from ``targets.path`` when not given; it only
    puts line numbers on the issues.
    """
    filename, text = _source(targets, text)
    return questionnaire_from_table(targets.assessment, filename, text)
