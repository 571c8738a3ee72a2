"""Mapping files and [[source]] tables: problems come back located (file, line, key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicelevel.collectors.mapped.mapping import (
    MappingInvalid,
    load_mapping,
    load_sources,
    parse_mapping,
)

REPO = Path(__file__).resolve().parents[3]


def problems(text: str, kind: str | None = "calls") -> list[str]:
    with pytest.raises(MappingInvalid) as caught:
        parse_mapping(text, "genesys.toml", kind)
    return [str(issue) for issue in caught.value.errors]


def test_the_example_mappings_are_valid():
    assert load_mapping(REPO / "examples" / "anonymous-bank.toml").kind == "calls"
    assert load_mapping(REPO / "examples" / "cfpb-complaints.toml").kind == "complaints"


def test_a_misspelt_field_names_its_line_and_the_nearest_field():
    text = (
        'kind = "calls"\n\n[columns]\ncallid = "id"\nqueue = "q"\nentred_at = "start"\n'
        'outcome = "r"\n'
    )
    assert problems(text) == [
        "genesys.toml:6: columns.entred_at: unknown field for calls; expected one of callid, "
        "queue, entered_at, outcome, answered_at, left_queue_at, wait_s, talk_s, agent, caller "
        '(did you mean "entered_at"?)',
        "genesys.toml:3: columns: missing required field "
        '"entered_at": when the call entered the queue',
    ]


def test_a_misspelt_key_of_a_field_is_located():
    text = (
        '[columns]\ncallid = "id"\nqueue = "q"\nentered_at = { colum = "start" }\noutcome = "r"\n'
    )
    (issue,) = problems(text)
    assert issue.startswith('genesys.toml:4: columns.entered_at.colum: unknown key "colum"')
    assert issue.endswith('(did you mean "column"?)')


def test_an_outcome_value_that_is_not_ours_suggests_one():
    text = (
        '[columns]\ncallid = "id"\nqueue = "q"\nentered_at = "s"\n'
        'outcome = { column = "r", values = { Handled = "answerd" } }\n'
    )
    (issue,) = problems(text)
    assert issue.startswith("genesys.toml:5: columns.outcome.values.Handled:")
    assert '(did you mean "answered"?)' in issue


def test_a_bad_time_zone_and_a_bad_delimiter_are_reported_together():
    text = (
        'timezone = "Europe/Pariss"\ndelimiter = ";;"\n'
        '[columns]\nkey = "k"\nscore = "s"\nanswered_at = "a"\n'
    )
    found = problems(text, "surveys")
    assert found[0].startswith('genesys.toml:1: timezone: unknown time zone "Europe/Pariss"')
    assert found[1].startswith("genesys.toml:2: delimiter:")


def test_a_mapping_for_another_kind_is_refused():
    text = 'kind = "orders"\n[columns]\nkey = "k"\nordered_at = "d"\n'
    assert (
        problems(text, "returns")[0]
        == "genesys.toml:1: kind: this mapping is for orders, not returns"
    )


def test_sources_in_the_targets_file_are_checked_and_may_name_a_mapping_file(tmp_path):
    (tmp_path / "genesys.toml").write_text(
        '[columns]\ncallid = "id"\nqueue = "q"\nentered_at = "s"\noutcome = "r"\n'
    )
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[source]]\nname = "asterisk"\nkind = "asterisk-queue-log"\npath = "queue_log"\n\n'
        '[[source]]\nname = "genesys"\nkind = "calls-csv"\npath = "export.csv"\n'
        'mapping = "genesys.toml"\n\n'
        '[[source]]\nname = "crm"\nkind = "orders-sql"\nurl_env = "CRM_URL"\n'
    )
    entries = [
        {"name": "asterisk", "kind": "asterisk-queue-log", "path": "queue_log"},
        {"name": "genesys", "kind": "calls-csv", "path": "export.csv", "mapping": "genesys.toml"},
        {"name": "crm", "kind": "orders-sql", "url_env": "CRM_URL"},
    ]
    with pytest.raises(MappingInvalid) as caught:
        load_sources(targets, entries)
    found = [str(issue) for issue in caught.value.errors]
    assert found == [
        f'{targets}:12: source[3]: missing key "query": the SELECT that returns the rows',
        f'{targets}:12: source[3]: missing key "watermark": a column that only grows',
        f"{targets}:12: source[3].columns: missing required field "
        '"key": the order (or order line) id',
        f'{targets}:12: source[3].columns: missing required field "ordered_at": when it was sold',
    ]
    entries[2].update(query="SELECT * FROM orders", watermark="updated_at",
                      columns={"key": "id", "ordered_at": "at"})  # fmt: skip
    sources = load_sources(targets, entries)
    assert [s.kind for s in sources] == ["asterisk-queue-log", "calls-csv", "orders-sql"]
    assert sources[1].columns["queue"].column == "q"


def test_an_unknown_source_kind_suggests_the_nearest(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text('[[source]]\nname = "x"\nkind = "call-csv"\npath = "a.csv"\n')
    with pytest.raises(MappingInvalid) as caught:
        load_sources(targets, [{"name": "x", "kind": "call-csv", "path": "a.csv"}])
    (issue,) = caught.value.errors
    assert issue.line == 3 and 'did you mean "calls-csv"?' in str(issue)


def test_a_mistake_made_in_a_mapping_reads_as_the_same_mistake_in_targets_toml():
    from servicelevel.config import parse_targets

    targets = (
        (REPO / "targets.toml")
        .read_text()
        .replace('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', 1)
    )
    (in_targets,) = parse_targets(targets).errors
    (in_mapping,) = problems(
        'timezone = "Europe/Pariss"\n[columns]\nkey = "k"\nscore = "s"\nanswered_at = "a"\n',
        "surveys",
    )
    assert in_targets.message in in_mapping and in_targets.suggestion == "Europe/Paris"
    assert in_mapping.endswith('(did you mean "Europe/Paris"?)')


def test_a_value_outside_a_fixed_set_lists_the_set_and_the_nearest():
    text = (
        '[columns]\ncallid = "id"\nqueue = "q"\noutcome = "r"\n'
        'entered_at = { column = "s" }\nwait_s = { column = "w", unit = "mins" }\n'
    )
    assert problems(text) == [
        'genesys.toml:6: columns.wait_s.unit: unknown unit "mins"; expected one of s, ms, min, h '
        '(did you mean "min"?)'
    ]


def test_a_delimiter_of_two_characters_says_the_limit_and_what_it_got():
    text = 'delimiter = ";;"\n[columns]\nkey = "k"\nscore = "s"\nanswered_at = "a"\n'
    assert problems(text, "surveys") == [
        'genesys.toml:1: delimiter: expected at most 1 character, got ";;"'
    ]
