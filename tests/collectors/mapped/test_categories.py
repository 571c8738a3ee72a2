"""A complaint's nature is stored as a category, never as the source's free text."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.categories import OTHER, CategoryMatcher
from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import MappingInvalid, parse_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Complaint

SPEC = RollupSpec.of(5, [20])
FREE_TEXT = "Call back Mr John Smith on 555-0199: his card was charged twice"


def mapping(nature: str):
    return parse_mapping(
        f'kind = "complaints"\n[columns]\nkey = "Ticket"\nopened_at = "Opened"\n{nature}\n',
        "crm.toml",
    )


def test_a_listed_category_is_matched_exactly_then_as_words_else_other():
    matcher = CategoryMatcher(["Late delivery", "card", "Billing"])
    assert matcher.category("  late   DELIVERY ") == "Late delivery"
    assert matcher.category(FREE_TEXT) == "card"
    assert matcher.category("a cardboard box arrived crushed") == OTHER  # whole words only
    assert matcher.category("Billing error, card declined") == "card"  # the list's order
    assert matcher.category("Call back Mr John Smith") == OTHER


def test_the_sources_own_codes_translate_and_unknown_codes_are_other():
    matcher = CategoryMatcher(values={"BILL": "billing", "DLV": "late delivery"})
    assert (matcher.category("bill"), matcher.category("DLV")) == ("billing", "late delivery")
    assert matcher.category("John rang twice") == OTHER


def test_free_text_is_never_stored_only_its_category(engine, tmp_path: Path):
    csv = tmp_path / "crm.csv"
    csv.write_text(
        "Ticket,Opened,Description\n"
        f'T1,2026-03-02 10:00:00,"{FREE_TEXT}"\n'
        'T2,2026-03-02 11:00:00,"Parcel late, call Alice Martin on +44 20 7946 0958"\n'
        "T3,2026-03-02 12:00:00,Late delivery\n",
        encoding="utf-8",
    )
    crm = mapping('nature = { column = "Description", categories = ["late delivery", "card"] }')
    result = import_csv(
        engine, csv, crm, SPEC, kind="complaints-csv", default_tz=ZoneInfo("Europe/Paris")
    )
    assert (result.stored, result.quarantined) == (3, 0)
    with Session(engine) as session:
        natures = dict(session.execute(select(Complaint.complaint_key, Complaint.nature)).all())
    assert natures == {"T1": "card", "T2": OTHER, "T3": "late delivery"}
    with engine.connect() as connection:
        stored = " ".join(str(r) for r in connection.execute(text("SELECT * FROM complaints")))
    assert "Smith" not in stored and "Martin" not in stored and "0199" not in stored


def test_a_mapping_that_would_store_free_text_is_refused_with_its_line():
    with pytest.raises(MappingInvalid) as caught:
        mapping('nature = "Description"')
    (issue,) = caught.value.errors
    assert (issue.file, issue.line, issue.key) == ("crm.toml", 5, "columns.nature")
    assert "must be a category, never free text" in issue.message
    assert "categories = [...]" in issue.message and '"other"' in issue.message


def test_a_constant_nature_or_a_translated_one_is_a_category_already():
    assert mapping('nature = { value = "web form" }').columns["nature"].value == "web form"
    assert mapping('nature = { column = "Code", values = { B = "billing" } }')


def test_categories_are_only_for_the_nature():
    with pytest.raises(MappingInvalid) as caught:
        parse_mapping(
            'kind = "orders"\n[columns]\nkey = "id"\nordered_at = "at"\n'
            'product = { column = "sku", categories = ["boots"] }\n',
            "shop.toml",
        )
    assert [e.key for e in caught.value.errors] == ["columns.product.categories"]
