"""The masking rules of ``servicelevel.privacy``: what each catches, and what each leaves alone."""

from __future__ import annotations

import json

import pytest

from servicelevel.privacy import mask_message, mask_raw, mask_text


@pytest.mark.parametrize(
    "number",
    [
        "+44 (20) 7946-0958",
        "(555) 123-4567",
        "555-0199",
        "555.0199",
        "555,0199",
        "5 5 5 0 1 9 9",
        "+33 6 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "555 – 0199",
    ],
)
def test_a_phone_number_is_masked_however_it_is_written(number):
    assert mask_text(f"call {number} now") == "call ###### now"


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005"]
)
def test_a_card_number_is_masked(card):
    assert mask_text(f"card {card}, exp 12/27") == "card ######, exp 12/27"


@pytest.mark.parametrize(
    "kept",
    [
        "zip 95993",  # five digits: a postcode, not a number to call
        "queue_log:1234 at 12:30",
        "2026-03-10 10:07:30 CET",
        "resolved_at 10/03/2026 14:05 is before opened_at 11/03/2026",
        "and/or /data/calls.csv",
        "the operation's file can't be read",
        "Debt collection",
        "Mortgage: Loan modification",
    ],
)
def test_what_is_nobodys_data_stays(kept):
    assert mask_text(kept) == kept


def test_a_date_shaped_number_that_is_no_date_is_masked():
    assert mask_text("1234-56-78") == "######"
    assert mask_text("55/12/10/26") == "######"


def test_agent_channels_keep_their_technology_only():
    assert mask_text("SIP/john.smith-0001 to PJSIP/alice, Local/7946@agents/n, Agent/7") == (
        "SIP/[agent] to PJSIP/[agent], Local/[agent], Agent/[agent]"
    )


def test_emails_and_names_are_masked():
    assert mask_text("Call back Mr John Smith (john.smith@example.com)") == (
        "Call back [name] ([email])"
    )
    assert mask_text("ask Dr. Alice Martin or Mrs O'Brien") == "ask [name] or [name]"


def test_a_column_name_in_a_reason_is_not_taken_for_a_name():
    assert mask_text("is not a date-time in column Queue Start") == (
        "is not a date-time in column Queue Start"
    )


def test_a_message_loses_the_values_it_quotes_but_not_its_punctuation():
    assert mask_message("bad timestamp: 'John Smith' is not a Unix time") == (
        "bad timestamp: '…' is not a Unix time"
    )
    assert mask_message('entered_at: "555-0199" in column Entered') == (
        'entered_at: "…" in column Entered'
    )
    assert mask_message("expected at least 5 '|'-separated fields") == (
        "expected at least 5 '|'-separated fields"
    )
    assert mask_message("Key (owner)=(John Smith) exists") == "Key (owner)=([name]) exists"
    assert mask_message(None) == ""


def test_the_agent_field_of_a_queue_log_line_is_masked_whatever_it_holds():
    line = "1773130000|1773130000.5|sales|john|CONNECT|8|1773130000.5b|2"
    assert mask_raw(line) == "######|######|sales|[agent]|CONNECT|8|######b|2"
    assert mask_raw("1773130000|x|sales|NONE|ENTERQUEUE||pseudonym:ab12|1") == (
        "######|x|sales|NONE|ENTERQUEUE||[pseudonym]|1"
    )


def test_a_mapped_row_keeps_its_columns_and_dates_and_masks_its_values():
    row = {
        "Agent Name": "Alice Martin",
        "Phone": "pseudonym:4f2a9c",
        "Entered": "2026-11-18 10:00:00",
        "Notes": "call 555.0199",
        "Count": 5550199,
        "Wait": 12.5,
    }
    assert json.loads(mask_raw(json.dumps(row))) == {
        "Agent Name": "[name]",
        "Phone": "[pseudonym]",
        "Entered": "2026-11-18 10:00:00",
        "Notes": "call ######",
        "Count": "######",
        "Wait": 12.5,
    }


def test_a_line_that_is_neither_is_masked_as_text():
    assert mask_raw("Alice Martin rang from +44 (20) 7946-0958") == "[name] rang from ######"
    assert mask_raw("") == ""
