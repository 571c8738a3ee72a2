"""targets.toml: the seed file loads, and every mistake comes back located and explained."""

import datetime
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicelevel.config import (
    KPI_NAMES,
    BusinessHours,
    ConfigIssue,
    Operation,
    Target,
    Targets,
    load_targets,
    locate_line,
    parse_targets,
)
from servicelevel.errors import ConfigError, ServicelevelError, TargetsInvalid
from servicelevel.kpi.registry import KPIS

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "targets.toml").read_text(encoding="utf-8")
DOCS = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")

PYDANTIC_JARGON = ("Input should", "Field required", "Extra inputs", "Value error", "pydantic")


def edited(old: str, new: str, text: str = SEED) -> str:
    """The seed with one edit; fails loudly if the seed no longer has `old`."""
    assert text.count(old) == 1, f"seed should contain {old!r} exactly once"
    return text.replace(old, new)


def line_of(text: str, fragment: str, start: int = 1) -> int:
    """1-based number of the first line at or after `start` containing `fragment`."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in text")


def only_issue(text: str) -> ConfigIssue:
    result = parse_targets(text)
    assert not result.ok
    assert result.targets is None
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    issue = result.errors[0]
    assert not any(word in issue.message for word in PYDANTIC_JARGON), issue.message
    return issue


# --- the seed ---------------------------------------------------------------------------


def test_the_root_targets_file_loads_with_the_seed_policy():
    result = load_targets(ROOT / "targets.toml")
    assert result.ok, [str(e) for e in result.errors]
    targets = result.targets
    assert targets.path == ROOT / "targets.toml"
    assert targets.operation.timezone == "Europe/Paris"
    assert targets.operation.tz.key == "Europe/Paris"
    assert targets.operation.short_abandon_seconds == 5
    assert targets.business_hours.holidays == "FR"
    assert targets.business_hours.sunday is None
    assert {t.kpi for t in targets.targets} == set(KPI_NAMES)
    assert targets.thresholds() == frozenset({20.0})
    live = targets.target("answer-20s-now")
    assert (live.window, live.per_queue, live.min_volume) == ("15min", False, 5)
    daily = targets.target("answer-20s")
    assert (daily.minimum, daily.ideal, daily.per_queue, daily.min_volume) == (80, 90, True, 20)


def test_every_seed_target_explains_its_formula():
    targets = parse_targets(SEED).unwrap()
    for target in targets.targets:
        assert target.formula(targets.operation.short_abandon_seconds)


# --- typos and missing keys -------------------------------------------------------------


def test_a_kpi_typo_gives_one_error_with_its_line_and_the_nearest_kpi():
    text = edited('kpi = "asa"', 'kpi = "service_levle"')
    issue = only_issue(text)
    assert issue.line == line_of(text, "service_levle")
    assert issue.key == "target[4].kpi"
    assert issue.suggestion == "service_level"
    assert str(issue) == (
        f'targets.toml:{issue.line}: target[4].kpi: unknown KPI "service_levle"; expected one '
        "of service_level, abandon_rate, asa, longest_wait, return_rate, "
        'complaint_satisfaction, complainant_repurchase (did you mean "service_level"?)'
    )


def test_an_unknown_key_suggests_the_nearest_valid_key_and_nothing_else():
    text = edited("minimum = 300", "minimun = 300")
    issue = only_issue(text)  # not also "missing minimum": it's the same typo
    assert issue.line == line_of(text, "minimun")
    assert issue.key == "target[5].minimun"
    assert issue.suggestion == "minimum"
    assert "ideal" in issue.message  # lists what is valid


def test_an_unknown_section_suggests_the_nearest_one():
    text = edited("[operation]", "[operaton]")
    issue = only_issue(text)
    assert (issue.line, issue.key, issue.suggestion) == (
        line_of(text, "[operaton]"),
        "operaton",
        "operation",
    )


def test_a_missing_minimum_points_at_the_targets_header_line():
    text = edited("minimum = 300    # seconds at most\n", "")
    issue = only_issue(text)
    header = line_of(text, "[[target]]", start=line_of(text, 'id = "longest-wait"') - 1)
    assert issue.line == header
    assert issue.key == "target[5].minimum"
    assert 'missing required key "minimum"' in issue.message


def test_a_file_without_targets_says_to_add_one():
    issue = only_issue('[operation]\ntimezone = "UTC"\n')
    assert issue.key == "target"
    assert "[[target]]" in issue.message


# --- values -----------------------------------------------------------------------------


def test_ideal_above_minimum_is_refused_when_lower_is_better():
    text = edited("ideal = 3        # %", "ideal = 10")
    issue = only_issue(text)
    assert issue.key == "target[3].ideal"
    assert issue.line == line_of(text, "ideal = 10")
    assert "at or below minimum" in issue.message
    assert "abandon_rate" in issue.message


def test_ideal_below_minimum_is_refused_when_higher_is_better():
    text = edited(
        'window = "day"\nminimum = 80     # %\nideal = 90',
        'window = "day"\nminimum = 80\nideal = 70',
    )
    issue = only_issue(text)
    assert issue.key == "target[1].ideal"
    assert "at or above minimum" in issue.message


def test_ideal_equal_to_minimum_is_allowed():
    text = edited("ideal = 3        # %", "ideal = 8")
    assert parse_targets(text).ok


def test_service_level_needs_threshold_seconds():
    text = edited("threshold_seconds = 20\n# How", "# How")
    issue = only_issue(text)
    assert issue.key == "target[1].threshold_seconds"
    assert issue.line == line_of(text, 'id = "answer-20s"') - 1  # its [[target]] header
    assert "threshold_seconds = 20" in issue.message


def test_threshold_seconds_is_refused_for_asa():
    text = edited('kpi = "asa"', 'kpi = "asa"\nthreshold_seconds = 20')
    issue = only_issue(text)
    assert issue.key == "target[4].threshold_seconds"
    assert issue.line == line_of(text, 'kpi = "asa"') + 1
    assert "only applies to service_level" in issue.message


def test_abandons_is_refused_for_abandon_rate():
    text = edited('kpi = "abandon_rate"', 'kpi = "abandon_rate"\nabandons = "ignore"')
    issue = only_issue(text)
    assert issue.key == "target[3].abandons"


def test_a_rate_above_100_is_refused():
    text = edited("minimum = 75", "minimum = 120")
    issue = only_issue(text)
    assert issue.key == "target[7].minimum"
    assert "0 to 100" in issue.message
    assert "120" in issue.message


def test_a_negative_wait_is_refused():
    issue = only_issue(edited("ideal = 120", "ideal = -1"))
    assert issue.key == "target[5].ideal"
    assert "0 or more" in issue.message


def test_specific_queues_are_refused_for_a_non_call_kpi():
    text = edited('kpi = "return_rate"', 'kpi = "return_rate"\nqueues = ["sales"]')
    issue = only_issue(text)
    assert issue.key == "target[6].queues"
    assert "call KPIs" in issue.message


def test_a_wrong_type_says_what_was_expected_in_plain_words():
    issue = only_issue(edited("min_volume = 20  # answered calls", 'min_volume = "lots"'))
    assert issue.key == "target[4].min_volume"
    assert issue.message == 'expected a whole number, got "lots"'


def test_duplicate_target_ids_are_refused_at_the_second_one():
    text = edited('id = "asa"', 'id = "returns"')
    issue = only_issue(text)
    assert issue.key == "target[6].id"
    assert issue.line == line_of(text, 'id = "returns"', start=line_of(text, 'id = "returns"') + 1)
    assert "target[4]" in issue.message


def test_an_id_that_is_not_a_slug_suggests_one():
    issue = only_issue(edited('id = "asa"', 'id = "Speed of answer"'))
    assert issue.suggestion == "speed-of-answer"


# --- operation and business hours -------------------------------------------------------


def test_a_misspelt_timezone_suggests_the_real_one():
    text = edited('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"')
    issue = only_issue(text)
    assert issue.key == "operation.timezone"
    assert issue.line == line_of(text, "Europe/Pariss")
    assert issue.suggestion == "Europe/Paris"


def test_business_hours_must_be_on_a_quarter_hour():
    text = edited('saturday = ["09:00", "13:00"]', 'saturday = ["09:00", "13:10"]')
    issue = only_issue(text)
    assert issue.key == "business_hours.saturday"
    assert issue.line == line_of(text, "13:10")
    assert "15-minute" in issue.message
    assert issue.suggestion == "13:15"


def test_opening_must_come_before_closing():
    issue = only_issue(edited('saturday = ["09:00", "13:00"]', 'saturday = ["13:00", "09:00"]'))
    assert issue.key == "business_hours.saturday"
    assert "before" in issue.message


def test_a_holidays_country_typo_suggests_the_code():
    text = edited('holidays = "FR"', 'holidays = "FRR"')
    issue = only_issue(text)
    assert issue.key == "business_hours.holidays"
    assert issue.line == line_of(text, '"FRR"')
    assert issue.suggestion == "FR"


def test_a_country_name_instead_of_a_code_suggests_the_code():
    issue = only_issue(edited('holidays = "FR"', 'holidays = "France"'))
    assert issue.suggestion == "FR"


def test_an_unknown_subdivision_suggests_the_nearest_one():
    issue = only_issue(edited('# subdivision = "57"', 'subdivision = "zone a"'))
    assert issue.key == "business_hours.subdivision"
    assert issue.suggestion == "Zone A"


PARIS_HOURS = BusinessHours(monday=["07:30", "17:00"], tuesday=["07:30", "19:00"], holidays="FR")


def test_is_open_is_false_on_a_public_holiday():
    targets = parse_targets(SEED).unwrap()
    bastille_day = datetime.datetime(2026, 7, 14, 10, 0)  # a Tuesday
    assert targets.business_hours.is_holiday(bastille_day.date())
    assert not targets.is_open(bastille_day)
    assert targets.is_open(bastille_day + datetime.timedelta(days=1))


@pytest.mark.parametrize(
    ("wall_time", "expected"),
    [
        (datetime.datetime(2026, 7, 13, 7, 15), False),  # Monday, before opening
        (datetime.datetime(2026, 7, 13, 7, 30), True),  # opening time is open
        (datetime.datetime(2026, 7, 13, 16, 45), True),  # last quarter hour
        (datetime.datetime(2026, 7, 13, 17, 0), False),  # closing time is closed
        (datetime.datetime(2026, 7, 15, 17, 0), False),  # Wednesday: not listed, closed
        (datetime.datetime(2026, 7, 21, 17, 0), True),  # Tuesday closes at 19:00
        (datetime.datetime(2026, 7, 21, 18, 45), True),
        (datetime.datetime(2026, 7, 21, 19, 0), False),
    ],
)
def test_is_open_includes_opening_and_excludes_closing_time(wall_time, expected):
    assert PARIS_HOURS.is_open(wall_time) is expected


def test_is_open_reads_an_aware_datetime_as_its_wall_time():
    paris = Operation(timezone="Europe/Paris").tz
    assert PARIS_HOURS.is_open(datetime.datetime(2026, 7, 13, 16, 45, tzinfo=paris))
    assert not PARIS_HOURS.is_open(datetime.datetime(2026, 7, 13, 17, 0, tzinfo=paris))


def test_24_00_keeps_the_last_quarter_hour_open():
    hours = BusinessHours(sunday=["00:00", "24:00"])
    assert hours.is_open(datetime.datetime(2026, 7, 19, 0, 0))
    assert hours.is_open(datetime.datetime(2026, 7, 19, 23, 45))


def test_without_business_hours_the_operation_is_always_open():
    text = re.sub(r"\[business_hours\].*?(?=# Each \[\[target\]\])", "", SEED, flags=re.S)
    targets = parse_targets(text).unwrap()
    assert targets.business_hours is None
    assert targets.is_open(datetime.datetime(2026, 7, 14, 3, 0))  # a holiday, at night


# --- syntax, files, API -----------------------------------------------------------------


def test_a_toml_syntax_error_gives_its_line():
    text = edited("ideal = 20       # seconds", "ideal = = 20")
    issue = only_issue(text)
    assert issue.line == line_of(text, "ideal = = 20")
    assert "not valid TOML" in issue.message


def test_an_unclosed_list_says_the_file_ended():
    issue = only_issue(SEED + '\n[report]\nto = ["boss@example.com",\n')
    assert "end of file" in issue.message


def test_a_missing_file_is_one_issue_not_an_exception(tmp_path):
    result = load_targets(tmp_path / "nope.toml")
    assert not result.ok
    assert [e.message for e in result.errors] == ["file not found"]


def test_a_file_saved_with_a_bom_loads(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SEED.encode())
    assert load_targets(path).ok


def test_issues_name_the_file_as_given(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(edited('kpi = "asa"', 'kpi = "asap"'))
    (issue,) = load_targets(path).errors
    assert str(issue).startswith(f"{path}:{issue.line}: target[4].kpi: ")


def test_several_mistakes_come_back_together_in_line_order():
    text = edited('timezone = "Europe/Paris"', 'timezone = "Mars"')
    text = edited('kpi = "asa"', 'kpi = "asap"', text)
    text = edited("minimum = 75", "minimum = 175", text)
    result = parse_targets(text)
    assert [e.key for e in result.errors] == [
        "operation.timezone",
        "target[4].kpi",
        "target[7].minimum",
    ]


def test_unwrap_raises_targets_invalid_with_every_issue():
    result = parse_targets(edited('kpi = "asa"', 'kpi = "asap"'))
    with pytest.raises(TargetsInvalid) as caught:
        result.unwrap()
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, ServicelevelError)
    assert caught.value.errors == result.errors
    assert "target[4].kpi" in str(caught.value)


def test_target_lookup_suggests_the_nearest_id():
    targets = parse_targets(SEED).unwrap()
    with pytest.raises(KeyError, match="did you mean"):
        targets.target("answer-20")


def test_targets_can_be_built_in_code_by_field_name():
    target = Target(id="asa", name="ASA", kpi="asa", minimum=60, ideal=20)
    targets = Targets(targets=[target])
    assert targets.target("asa").unit == "s"
    assert not targets.target("asa").higher_is_better
    assert targets.is_open(datetime.datetime(2026, 1, 1))
    assert targets.path is None


@pytest.mark.parametrize(
    ("abandons", "expected"),
    [
        ("miss", "answered within 20 s / offered (abandons count as misses; short abandons < 5 s"),
        ("ignore", "answered within 20 s / (offered - abandoned)"),
        ("success_within_t", "(answered within 20 s + abandoned within 20 s) / offered"),
    ],
)
def test_the_service_level_formula_follows_the_abandons_rule(abandons, expected):
    target = Target(
        id="sl",
        name="SL",
        kpi="service_level",
        threshold_seconds=20,
        abandons=abandons,
        minimum=80,
        ideal=90,
    )
    assert target.formula(5).startswith(expected)
    assert "outside business hours excluded" in target.formula(5)


# --- never a crash ----------------------------------------------------------------------

SEED_LINES = SEED.splitlines(keepends=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, len(SEED_LINES) - 1), max_size=6),
    st.integers(0, len(SEED) - 1),
    st.sampled_from(['"', "[", "=", "x", "-", "\n", "", "9"]),
)
def test_a_mangled_file_gives_issues_never_an_exception(dropped, position, char):
    lines = [line for i, line in enumerate(SEED_LINES) if i not in set(dropped)]
    text = "".join(lines)
    position %= max(len(text), 1)
    text = text[:position] + char + text[position + 1 :]
    result = parse_targets(text)
    assert result.ok or result.errors
    for issue in result.errors:
        assert issue.line is None or 1 <= issue.line <= len(text.splitlines()) + 1
        assert not any(word in issue.message for word in PYDANTIC_JARGON), issue.message


# --- the line locator -------------------------------------------------------------------

LOCATOR_TEXT = """\
[operation]
timezone = "UTC"   # [not a header]

[[target]]
id = "a"
kpi = "asa"

[[target]]
id = "b"
note = '''
kpi = "inside a string"
[[target]]
'''
queues = [
  "x = 1",
]
kpi = "service_level"

[business_hours]
monday = ["07:30", "17:00"]
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("operation", "timezone"), 2),
        (("target", 0, "kpi"), 6),
        (("target", 1, "kpi"), 17),  # not the lookalikes in the string and the list
        (("target", 1, "minimum"), 8),  # missing key: its table's header
        (("target", 1), 8),
        (("target",), 4),
        (("business_hours", "monday"), 20),
        (("business_hours", "monday", 0), 20),
        (("report",), None),
    ],
)
def test_the_locator_finds_the_key_inside_the_right_table(loc, line):
    assert locate_line(LOCATOR_TEXT, loc) == line


def test_the_locator_understands_dotted_keys_and_inline_tables():
    text = 'operation.timezone = "UTC"\nbusiness_hours = { monday = ["07:30", "17:00"] }\n'
    assert locate_line(text, ("operation", "timezone")) == 1
    assert locate_line(text, ("business_hours", "monday")) == 2


def test_the_locator_understands_quoted_keys_and_nested_tables():
    text = '[[target]]\nid = "a"\n[[target]]\n"kpi" = "asa"\n[report.weekly]\n"to" = 1\n'
    assert locate_line(text, ("target", 1, "kpi")) == 4
    assert locate_line(text, ("report", "weekly", "to")) == 6


def test_the_locator_prefers_the_deepest_match_over_a_later_parent_table():
    text = "[report.weekly]\nto = 1\n[report]\ntitle = 2\n"
    assert locate_line(text, ("report", "weekly", "to")) == 2


# --- docs can't rot ---------------------------------------------------------------------


def docs_section(heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", DOCS, flags=re.S | re.M)
    assert match, f"docs/targets.md has no '## {heading}' section"
    return match.group(1)


@pytest.mark.parametrize(
    ("model", "heading"),
    [
        (Operation, "`[operation]`"),
        (BusinessHours, "`[business_hours]`"),
        (Target, "`[[target]]`"),
    ],
)
def test_every_key_of_a_section_is_documented_in_its_table(model, heading):
    section = docs_section(heading)
    for name, info in model.model_fields.items():
        assert f"| `{info.alias or name}` |" in section, f"{heading} {name} is not documented"


def test_every_top_level_key_is_documented():
    for name, info in Targets.model_fields.items():
        key = info.alias or name
        assert f"## `[{key}]`" in DOCS or f"## `[[{key}]]`" in DOCS or f"| `{key}` |" in DOCS, key


def test_the_kpi_table_documents_every_registry_kpi_as_defined():
    """docs/targets.md's KPI table is the registry in words: unit, direction, data, volume."""
    table = docs_section("`[[target]]`")
    rows = re.findall(r"^\| `([a-z_]+)` \| (%|s) \| (higher|lower) \| (.+?) \| (.+?) \|$",
                      table, flags=re.M)  # fmt: skip
    documented = {name: rest for name, *rest in rows}
    assert list(documented) == list(KPIS), "one row per KPI, in registry order"
    for name, kpi in KPIS.items():
        better = "higher" if kpi.higher_is_better else "lower"
        assert documented[name] == [kpi.unit, better, ", ".join(kpi.sources), kpi.volume], name
    allowed = re.search(r"^\| `kpi` \|.*$", table, flags=re.M)
    assert allowed and allowed.group(0).endswith(
        " | " + ", ".join(f"`{name}`" for name in KPIS) + ". |"
    )
    queues = re.search(r"^\| `queues` \|.*$", table, flags=re.M)
    calls = ", ".join(f"`{k.name}`" for k in KPIS.values() if k.calls)
    assert queues and f"Call KPIs only ({calls})" in queues.group(0)


def test_every_kpi_and_status_is_documented():
    formulas = docs_section("KPI definitions")
    for kpi in KPI_NAMES:
        assert f"(`{kpi}`" in formulas, kpi
    statuses = docs_section("Status")
    for status in ("ideal", "met", "breach", "no_data", "stale"):
        assert f"| `{status}` |" in statuses, status
