"""``servicelevel assessment record`` and ``show`` end to end, on a real SQLite file and on
PostgreSQL: what is stored, what is printed, --json and --all, and a bad file refused with one
located line per problem, exit code 2 and nothing stored."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.cli import main
from servicelevel.store import make_engine
from servicelevel.store.schema import AssessmentResult

ROOT = Path(__file__).resolve().parents[2]
TARGETS = str(ROOT / "targets.toml")
# The example record file, as shipped and as docs/assessment.md shows it.
EXAMPLE = (resources.files("servicelevel.examples") / "assessment.toml").read_text("utf-8")
EXAMPLE_JSON = {
    "date": "2026-12-01",
    "author": "owner",
    "total": 27.33,
    "band": "adequate",
    "areas": {"culture": 4.0, "products": 4.0, "feedback": 3.67, "knowing": 3.67,
              "contact": 4.33, "empowerment": 4.0, "improvement": 3.67},
    "weakest": ["feedback", "knowing", "improvement"],
}  # fmt: skip


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="servicelevel")


def record(path: Path, db_url: str, targets: str = TARGETS):
    return run("assessment", "record", str(path), "--db", db_url, "--targets", targets)


def show(db_url: str, *flags: str):
    return run("assessment", "show", "--db", db_url, *flags)


def stored(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(AssessmentResult)) or 0
    finally:
        engine.dispose()


def test_record_then_show_the_latest_in_words_and_in_json(tmp_path, db_url):
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    result = record(path, db_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-12-01 by owner: recorded",
        "total 27.33 of 35: adequate (needs general improvement); weakest: Responsiveness to "
        "feedback (3.67), Knowing customers (3.67), Continuous improvement (3.67)",
    ]
    result = show(db_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Customer-focus self-assessment of 2026-12-01, by owner",
        "  Customer-focused culture             4.00 of 5",
        "  Customer-focused products and sales  4.00 of 5",
        "  Responsiveness to feedback           3.67 of 5  <- weakest",
        "  Knowing customers                    3.67 of 5  <- weakest",
        "  Ease of contact                      4.33 of 5",
        "  Staff empowerment                    4.00 of 5",
        "  Continuous improvement               3.67 of 5  <- weakest",
        "Total 27.33 of 35: adequate (needs general improvement); weakest: Responsiveness to "
        "feedback (3.67), Knowing customers (3.67), Continuous improvement (3.67)",
    ]
    result = show(db_url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EXAMPLE_JSON


def test_all_lists_every_result_oldest_first(tmp_path, db_url):
    later = tmp_path / "later.toml"
    # knowing and improvement rated [5, 5, 5]: 82/3 + 2 x 4/3 = 30
    later.write_text(EXAMPLE.replace("2026-12-01", "2026-12-02").replace("[4, 3, 4]", "[5, 5, 5]"))
    first = tmp_path / "first.toml"
    first.write_text(EXAMPLE)
    for path in (later, first):
        assert record(path, db_url).exit_code == 0
    result = show(db_url, "--all", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [r["date"] for r in listed] == ["2026-12-01", "2026-12-02"]
    assert listed[0] == EXAMPLE_JSON
    assert listed[1]["total"] == 30.0 and listed[1]["band"] == "asset"
    assert listed[1]["weakest"] == ["feedback"]
    assert json.loads(show(db_url, "--json").stdout)["date"] == "2026-12-02"  # the latest
    text = show(db_url, "--all").stdout.splitlines()
    assert len(text) == 2 and text[0].startswith("2026-12-01  owner: total 27.33 of 35: adequate")
    assert text[1].startswith("2026-12-02  owner: total 30.00 of 35: asset (an asset to the ")


def test_recording_the_same_file_twice_stores_it_once(tmp_path, sqlite_url):
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    assert record(path, sqlite_url).exit_code == 0
    again = record(path, sqlite_url)
    assert again.exit_code == 0 and again.stdout.startswith(
        "2026-12-01 by owner: already recorded, unchanged"
    )
    path.write_text(EXAMPLE.replace("contact = [5, 4, 4]", "contact = [1, 1, 1]"))
    corrected = record(path, sqlite_url)
    assert corrected.stdout.startswith("2026-12-01 by owner: recorded (replacing the earlier")
    assert stored(sqlite_url) == 1
    assert json.loads(show(sqlite_url, "--json").stdout)["weakest"] == ["contact"]


def test_a_bad_file_is_refused_line_by_line_and_nothing_is_stored(tmp_path, db_url):
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    assert record(path, db_url).exit_code == 0  # one good result first
    path.write_text(
        EXAMPLE.replace('"2026-12-01"', '"2026-12-32"')
        .replace("knowing = [4, 3, 4]\n", "")
        .replace("[5, 4, 4, 3]", "[5, 4, 4]")
        .replace("[4, 4, 3, 4, 5]", "[4, 4, 3, 4, 6]")
        .replace("[4, 3, 4]", "[4, 3.5, 4]")
    )
    result = record(path, db_url)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f'{path}:1: date: "2026-12-32" is not a date; expected "YYYY-MM-DD", e.g. "2026-12-01"',
        f'{path}:3: ratings.knowing: missing required key "knowing": 3 ratings, one per '
        "statement of Knowing customers, e.g. knowing = [5, 4, 5]",
        f"{path}:4: ratings.culture: expected 4 ratings, one per statement of Customer-focused "
        "culture, got 3",
        f"{path}:8: ratings.empowerment[5]: expected a whole number from 1 (never) to "
        "5 (always), got 6",
        f"{path}:9: ratings.improvement[2]: expected a whole number from 1 (never) to "
        "5 (always), got 3.5",
    ]
    assert stored(db_url) == 1
    assert json.loads(show(db_url, "--json").stdout) == EXAMPLE_JSON


def test_a_bad_file_creates_no_database(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE.replace("[5, 4, 4, 3]", "[5, 4, 4, 0]"))
    url = f"sqlite:///{tmp_path}/new/servicelevel.db"
    result = record(path, url)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:4: ratings.culture[4]: expected a whole number from 1 (never) to 5 (always), got 0"
    ]
    assert not (tmp_path / "new").exists()


def test_record_creates_the_database_as_import_does(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    url = f"sqlite:///{tmp_path}/new/servicelevel.db"
    assert record(path, url).exit_code == 0
    assert stored(url) == 1


def test_a_missing_file_is_one_line(tmp_path, sqlite_url):
    result = record(tmp_path / "nope.toml", sqlite_url)
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'nope.toml'}: file not found\n"


def test_the_statements_of_the_targets_file_set_the_counts(tmp_path, sqlite_url):
    targets = tmp_path / "targets.toml"
    targets.write_text(Path(TARGETS).read_text() + '\n[assessment]\ncontact = ["We answer"]\n')
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    result = record(path, sqlite_url, str(targets))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:8: ratings.contact: expected 1 rating, one per statement of Ease of contact, got 3"
    ]
    path.write_text(EXAMPLE.replace("contact = [5, 4, 4]", "contact = [2]"))
    assert record(path, sqlite_url, str(targets)).exit_code == 0
    assert json.loads(show(sqlite_url, "--json").stdout)["areas"]["contact"] == 2.0


def test_a_broken_assessment_section_refuses_to_record(tmp_path, sqlite_url):
    targets = tmp_path / "targets.toml"
    text = Path(TARGETS).read_text() + "\n[assessment]\ncontact = []\n"
    targets.write_text(text)
    path = tmp_path / "answers.toml"
    path.write_text(EXAMPLE)
    result = record(path, sqlite_url, str(targets))
    assert result.exit_code == 2
    line = len(text.splitlines())
    assert result.stderr.splitlines() == [
        f"{targets}:{line}: assessment.contact: expected at least one statement (leave the "
        "area out for the defaults)"
    ]


def test_show_before_any_record_says_so(tmp_path, sqlite_url):
    make_engine(sqlite_url).dispose()  # an empty store, schema and all
    result = show(sqlite_url)
    assert result.exit_code == 0 and result.stdout == ""
    assert "no self-assessment recorded yet" in result.stderr
    assert json.loads(show(sqlite_url, "--json").stdout) is None
    assert json.loads(show(sqlite_url, "--all", "--json").stdout) == []


@pytest.mark.parametrize("flags", [(), ("--json",), ("--all",)])
def test_show_refuses_a_missing_database_and_creates_none(tmp_path, flags):
    url = f"sqlite:///{tmp_path}/typo.db"
    result = show(url, *flags)
    assert result.exit_code == 2
    assert "does not exist (no such file)" in result.stderr
    assert list(tmp_path.iterdir()) == []
