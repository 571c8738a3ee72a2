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
    length: int = 200  # the store column's size: longer text is cut, a longer key refused
    help: str = ""


FIELDS: dict[str, dict[str, FieldInfo]] = {
    "calls": {
        "callid": FieldInfo("key", True, 80, "the call's id in the source system"),
        "queue": FieldInfo("text", True, 80, "queue, skill or service the caller waited in"),
        "entered_at": FieldInfo("datetime", True, help="when the call entered the queue"),
        "outcome": FieldInfo("outcome", help="answered, abandoned, timeout, exitkey, exitempty"),
        "answered_at": FieldInfo("datetime", help="when an agent answered"),
        "left_queue_at": FieldInfo("datetime", help="when the caller left the queue"),
        "wait_s": FieldInfo("seconds", help="time in queue"),
        "talk_s": FieldInfo("seconds", help="talk time"),
        "agent": FieldInfo("text", False, 120, "agent who answered"),
        "caller": FieldInfo("customer", help="caller number or customer id (kept as a keyed hash)"),
    },
    "surveys": {
        "key": FieldInfo("key", True, 120, "the survey answer's id"),
        "answered_at": FieldInfo("datetime", True, help="when the customer answered"),
        "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
        "complaint": FieldInfo("key", False, 120, "id of the complaint the survey is about"),
    },
    "complaints": {
        "key": FieldInfo("key", True, 120, "the complaint's id"),
        "opened_at": FieldInfo("datetime", True, help="when the complaint was received"),
        "resolved_at": FieldInfo("datetime", help="when it was resolved"),
        "nature": FieldInfo(
            "category", help="what it was about: a category (categories or values), else other"
        ),
        "solution": FieldInfo("text", help="how it was resolved"),
        "follow_up": FieldInfo("text", help="follow-up action"),
        "compensation": FieldInfo("money", help="amount paid or credited"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "orders": {
        "key": FieldInfo("key", True, 120, "the order (or order line) id"),
        "ordered_at": FieldInfo("datetime", True, help="when it was sold"),
        "units": FieldInfo("units", help="units sold (default 1)"),
        "product": FieldInfo("text", False, 120, "product"),
        "customer": FieldInfo("customer", help="customer id (kept as a keyed hash)"),
    },
    "returns": {
        "key": FieldInfo("key", True, 120, "the return (or return line) id"),
        "returned_at": FieldInfo("datetime", True, help="when it was returned"),
        "units": FieldInfo("units", help="units returned (default 1)"),
        "product": FieldInfo("text", False, 120, "product"),
        "order": FieldInfo("key", False, 120, "id of the order returned"),
    },
}
# A complaints mapping may read a survey-like answer from the same row (see [survey]).
SURVEY_IN_COMPLAINT = {
    "score": FieldInfo("score", True, help="satisfaction from 1 to 5"),
    "answered_at": FieldInfo("datetime", False, help="when (default: resolved_at, opened_at)"),
    "key": FieldInfo("key", False, 120, "the survey's id (default: complaint key + ':survey')"),
}
