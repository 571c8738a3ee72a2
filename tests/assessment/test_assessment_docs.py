"""docs/assessment.md cannot rot: every area, every default statement word for word (in
order), the bands and their edges, the record file's keys, the command's options and JSON keys."""

from __future__ import annotations

import re
from pathlib import Path

from servicelevel.assessment import AREAS, ASSET_FROM, BANDS, DEFAULT_STATEMENTS, LOSING_UP_TO
from servicelevel.assessment.answers import KEYS
from servicelevel.cli.assessment import assessment_show

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "assessment.md").read_text(encoding="utf-8")


def test_every_area_is_in_the_table():
    for key, title in AREAS.items():
        assert f"| `{key}` | {title} |" in DOC, key


def test_the_default_statements_are_quoted_word_for_word_in_order():
    for key, title in AREAS.items():
        statements = DEFAULT_STATEMENTS[key]
        heading = f"**{title}** (`{key}`, {len(statements)} statements)"
        assert heading in DOC, heading
        block = DOC.split(heading, 1)[1].split("\n\n**", 1)[0]
        listed = re.findall(r"^\d+\. (.+)$", block, flags=re.M)
        assert listed == list(statements), key


def test_the_bands_and_their_edges_are_documented():
    assert (int(LOSING_UP_TO), int(ASSET_FROM)) == (20, 28)
    assert f"| `asset` | 28 or more | {BANDS['asset']} |" in DOC
    assert f"| `adequate` | above 20 and below 28 | {BANDS['adequate']} |" in DOC
    assert f"| `losing` | 20 or less | {BANDS['losing']} |" in DOC


def test_the_record_file_keys_and_the_json_keys_are_documented():
    record_file = DOC.split("## The record file", 1)[1].split("\n## ", 1)[0]
    for key in KEYS:
        assert f"| `{key}` |" in record_file, key
    for key in ("date", "author", "total", "band", "areas", "weakest"):
        assert f"| `{key}` | " in DOC.split("| JSON key |", 1)[1], key
    for option in assessment_show.params:
        for name in option.opts:
            if name.startswith("--") and name != "--db":
                assert name in DOC, name
