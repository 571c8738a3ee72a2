"""``[assessment]`` in targets.toml: the statements, the defaults, and located mistakes that
``targets check`` reports with the rest of the file but that never stop the targets."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from servicelevel.cli import main
from servicelevel.config import load_targets
from servicelevel.config.assessment import (
    AREAS,
    DEFAULT_STATEMENTS,
    MAX_STATEMENT_CHARS,
    Questionnaire,
    assessment_questionnaire,
)

ROOT = Path(__file__).resolve().parents[2]
TARGETS = (ROOT / "targets.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS + "\n" + section, encoding="utf-8")
    return path


def questionnaire(tmp_path: Path, section: str):
    result = load_targets(write(tmp_path, section))
    assert result.ok, result.errors  # the targets load whatever [assessment] holds
    return assessment_questionnaire(result.unwrap())


def test_the_default_statements_are_those_of_the_policy():
    counts = {area: len(DEFAULT_STATEMENTS[area]) for area in AREAS}
    assert counts == {"culture": 4, "products": 4, "feedback": 3, "knowing": 3, "contact": 3,
                      "empowerment": 5, "improvement": 3}  # fmt: skip
    assert Questionnaire().statements() == DEFAULT_STATEMENTS
    statements = [s for area in DEFAULT_STATEMENTS.values() for s in area]
    assert len(set(statements)) == len(statements)
    assert all(len(s) <= MAX_STATEMENT_CHARS for s in statements)


def test_without_the_section_the_defaults_apply(tmp_path):
    assert questionnaire(tmp_path, "") == (Questionnaire(), [])


def test_an_area_written_replaces_its_statements_and_the_others_keep_the_defaults(tmp_path):
    found, issues = questionnaire(tmp_path, """\
[assessment]
contact = [
  "Customers reach a person   within two minutes",
  "Our opening hours are on every letter",
]
""")  # fmt: skip
    assert issues == [] and found is not None
    statements = found.statements()
    assert statements["contact"] == (
        "Customers reach a person within two minutes",  # spaces as one, as the form shows it
        "Our opening hours are on every letter",
    )
    assert statements["culture"] == DEFAULT_STATEMENTS["culture"]


def test_mistakes_are_located_issues(tmp_path):
    found, issues = questionnaire(tmp_path, """\
[assessment]
contct = ["We answer"]
culture = []
feedback = [
  "We answer complaints",
  3,
]
knowing = ["We know them", "we know   THEM"]
products = "We sell"
""")  # fmt: skip
    assert found is None
    start = len(TARGETS.splitlines()) + 2  # the [assessment] header's line
    path = tmp_path / "targets.toml"
    assert [str(i) for i in issues] == [
        f'{path}:{start + 1}: assessment.contct: unknown key "contct"; expected one of '
        "culture, products, feedback, knowing, contact, empowerment, improvement "
        '(did you mean "contact"?)',
        f"{path}:{start + 2}: assessment.culture: expected at least one statement (leave the "
        "area out for the defaults)",
        f"{path}:{start + 3}: assessment.feedback[2]: expected a statement in double quotes, got 3",
        f"{path}:{start + 7}: assessment.knowing[2]: the same statement as number 1; expected "
        "each statement once",
        f"{path}:{start + 8}: assessment.products: expected a list of statements in square "
        'brackets, e.g. ["Managers talk about customers\' needs in every team meeting"], '
        'got "We sell"',
    ]


def test_targets_check_reports_the_assessments_mistakes_with_the_rest(tmp_path):
    path = write(tmp_path, '[assessment]\nempowerment = [""]\n')
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    line = len(TARGETS.splitlines()) + 3
    assert result.stderr.splitlines() == [
        f"{path}:{line}: assessment.empowerment[1]: a statement must not be empty",
        f"{path}: 1 error(s)",
    ]
    # and when the targets themselves are broken too, in the same pass
    broken = path.read_text().replace('kpi = "asa"', 'kpi = "asb"')
    path.write_text(broken)
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2
    assert "target[4].kpi: unknown KPI" in result.stderr
    assert "assessment.empowerment[1]: a statement must not be empty" in result.stderr


def test_targets_check_passes_a_good_section(tmp_path):
    path = write(tmp_path, '[assessment]\nimprovement = ["We review our complaints monthly"]\n')
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 0, result.output
