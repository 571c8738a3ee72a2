"""Our facts' fields: what a mapping may fill for each kind of fact, and how each is read.

One table for the whole mapped family: the models (:mod:`.models`) check a mapping against it,
the row reader (:mod:`.records`) reads values by its types, docs/collectors.md lists it (a test
keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactKind = Literal["calls", "surveys", "complaints", "orders", "returns"]
FACT_KINDS: tuple[str, ...] = ("calls", "surveys", "complaints", "orders", "returns")
OUTCOMES = ("answered", "abandoned", "timeout", "exitkey", "exitempty")


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One of our fields: how its value is read and whether a mapping must provide it."""

    # key | text | category | datetime | seconds | units | money | score | outcome | customer
    type: str
    required: bool = False
    # The store column ("table.column") the field fills: servicelevel.store.bounds reads there
    # a text's size, and whether a longer value is cut (free text) or quarantines the row (a
    # key), or the largest count an integer column holds.
    column: str = ""
    help: str = ""


FIELDS: dict[str, dict[str, FieldInfo]] = {
    "calls": {
        "callid": FieldInfo("key", True, "calls.callid", "the call's id in the source system"),
        "queue": FieldInfo(
            "key", True, "calls.queue", "queue, skill or service the caller waited in"
        ),
        "entered_at": FieldInfo("datetime", True, help="when the call entered the queue"),
        "outcome": FieldInfo("outcome", help="answered, abandoned, timeout, exitkey, exitempty"),
        "answered_at": FieldInfo("datetime", help="when an agent answered"),
        "left_queue_at": FieldInfo("datetime", help="when the caller left the queue"),
        "wait_s": FieldInfo("seconds", help="time in queue"),
        "talk_s": FieldInfo("seconds", help="talk time"),
        "agent": FieldInfo("text", False, "calls.agent", "agent who answered"),
        "caller": FieldInfo("customer", help="caller number or customer id (kept as a keyed hash)"),
    },
    "surveys": {
        "key": FieldInfo("key", True, "surveys.survey_key", "the survey answer's id"),
        "answered_at": FieldInfo("datetime", True, help="when the customer answered"),
        "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
        "complaint": FieldInfo(
            "key", False, "surveys.complaint_key", "id of the complaint the survey is about"
        ),
    },
    "complaints": {
        "key": FieldInfo("key", True, "complaints.complaint_key", "the complaint's id"),
        "opened_at": FieldInfo("datetime", True, help="when the complaint was received"),
        "resolved_at": FieldInfo("datetime", help="when it was resolved"),
        "nature": FieldInfo(
            "category",
            column="complaints.nature",
            help="what it was about: a category (categories or values), else other",
        ),
        "solution": FieldInfo("text", column="complaints.solution", help="how it was resolved"),
        "follow_up": FieldInfo("text", column="complaints.follow_up", help="follow-up action"),
        "compensation": FieldInfo("money", help="amount paid or credited"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "orders": {
        "key": FieldInfo("key", True, "orders.order_key", "the order (or order line) id"),
        "ordered_at": FieldInfo("datetime", True, help="when it was sold"),
        "units": FieldInfo("units", column="orders.units", help="units sold (default 1)"),
        "product": FieldInfo("text", False, "orders.product", "product"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "returns": {
        "key": FieldInfo("key", True, "returns.return_key", "the return (or return line) id"),
        "returned_at": FieldInfo("datetime", True, help="when it was returned"),
        "units": FieldInfo("units", column="returns.units", help="units returned (default 1)"),
        "product": FieldInfo("text", False, "returns.product", "product"),
        "order": FieldInfo("key", False, "returns.order_key", "id of the order returned"),
    },
}
# A complaints mapping may read a survey-like answer from the same row (see [survey]).
SURVEY_IN_COMPLAINT = {
    "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
    "answered_at": FieldInfo("datetime", False, help="when (default: resolved_at, opened_at)"),
    "key": FieldInfo(
        "key", False, "surveys.survey_key", "the survey's id (default: complaint key + ':survey')"
    ),
}
