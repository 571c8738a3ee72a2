"""Saving a target from the dashboard: comments survive, errors are refused, changes audited."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from dashsite import PASSWORDS
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.config import load_targets, parse_targets
from servicelevel.dashboard.targets_edit import rewrite, save_edit, save_form, text_hash
from servicelevel.store.schema import Audit

DAY = date(2026, 3, 10)


def test_only_the_edited_values_change_and_every_comment_stays(site):
    before = site.targets_path.read_text()
    result = save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"minimum": 85.0},
        effective_from=DAY,
        actor="alice",
    )
    assert result.ok and result.changed
    after = site.targets_path.read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [("minimum = 80     # %", "minimum = 85     # %")]
    assert load_targets(site.targets_path).unwrap().target("answer-20s").minimum == 85


def test_an_invalid_value_is_refused_with_the_checkers_message(site):
    before = site.targets_path.read_text()
    result = save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"ideal": 70},
        effective_from=DAY,
        actor="alice",
    )
    assert not result.ok
    expected = parse_targets(
        rewrite(before, "answer-20s", {"ideal": 70}), filename="targets.toml"
    ).errors
    assert result.errors == [str(e) for e in expected]
    assert result.errors[0].startswith("targets.toml:")
    assert "ideal must be at or above minimum" in result.errors[0]
    assert site.targets_path.read_text() == before


def test_each_change_is_audited_with_who_when_old_and_new(site):
    save_edit(
        site.engine,
        site.targets_path,
        "abandon-rate",
        {"minimum": 10, "name": "Lost"},
        effective_from=DAY,
        actor="alice",
    )
    with Session(site.engine) as session:
        (row,) = session.execute(select(Audit)).scalars()
    detail = json.loads(row.detail)
    assert row.actor == "alice" and row.action == "target.edit"
    assert detail["target"] == "abandon-rate" and detail["effective_from"] == "2026-03-10"
    assert (detail["old"]["minimum"], detail["new"]["minimum"]) == (8, 10)
    assert (detail["old"]["name"], detail["new"]["name"]) == ("Abandoned calls", "Lost")


def test_a_file_changed_by_hand_since_the_page_loaded_is_not_overwritten(site):
    stale = text_hash(site.targets_path.read_text())
    site.targets_path.write_text(site.targets_path.read_text() + "# a note\n")
    result = save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"minimum": 85},
        effective_from=DAY,
        actor="alice",
        expected_hash=stale,
    )
    assert not result.ok and "changed on disk" in result.errors[0]


def test_saving_the_same_values_writes_and_audits_nothing(site):
    before = site.targets_path.stat().st_mtime_ns
    result = save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"minimum": 80},
        effective_from=DAY,
        actor="alice",
    )
    assert result.ok and not result.changed
    assert site.targets_path.stat().st_mtime_ns == before
    with Session(site.engine) as session:
        assert session.execute(select(Audit)).first() is None


# --- whatever is posted: refused with a shown error, the file untouched (issue 11, finding 3) --

# A seconds KPI: "0 or more" was its only range check, so nan and inf used to be saved.
ASA = """
[[target]]
id = "asa"
name = "Average speed of answer"
kpi = "asa"
window = "day"
minimum = 60     # seconds at most
ideal = 20
min_volume = 5
"""
NAN, INF = float("nan"), float("inf")
BAD_VALUES = [
    ("minimum", NAN, "target[5].minimum: expected a number, got nan"),
    ("minimum", INF, "target[5].minimum: expected a number, got inf"),
    ("ideal", -INF, "target[5].ideal: expected a number, got -inf"),
    ("ideal", NAN, "target[5].ideal: expected a number, got nan"),
    ("minimum", "abc", 'target[5].minimum: expected a number, got "abc"'),
    ("minimum", "nan", 'target[5].minimum: expected a number, got "nan"'),
    ("minimum", 10**400, "target[5].minimum: expected a number, got 1000"),
    ("minimum", -5, "target[5].minimum: asa is in seconds: expected 0 or more, got -5"),
    ("min_volume", NAN, "target[5].min_volume: expected a number, got nan"),
    ("min_volume", INF, "target[5].min_volume: expected a number, got inf"),
    ("min_volume", 2.5, "target[5].min_volume: expected a whole number, got 2.5"),
    ("min_volume", -1, "target[5].min_volume: expected 0 or more, got -1"),
    ("min_volume", 2**63, "target[5].min_volume: expected 9.22337e+18 or less"),
    ("min_volume", 1e300, "target[5].min_volume: "),  # pydantic: "exceeded maximum size"
    ("min_volume", "x", 'target[5].min_volume: expected a whole number, got "x"'),
    ("name", 5, "target[5].name: expected text in double quotes"),
    ("minimum", [1, 2], "Minimum: expected a single value, got list"),
    ("name", {"a": 1}, "Name: expected a single value, got dict"),
    ("name", "\ud800", "cannot be written to targets.toml"),
]


def _with_asa(site) -> str:
    text = site.targets_path.read_text() + ASA
    site.targets_path.write_text(text)
    return text


@pytest.mark.parametrize(("key", "value", "expected"), BAD_VALUES, ids=repr)
def test_a_bad_value_is_refused_with_the_checkers_located_message(site, key, value, expected):
    before = _with_asa(site)
    result = save_edit(
        site.engine,
        site.targets_path,
        "asa",
        {key: value},
        effective_from=DAY,
        actor="alice",
        expected_hash=text_hash(before),
    )
    assert not result.ok
    assert any(expected in e for e in result.errors), result.errors
    if "target[5]" in expected:  # located like `servicelevel targets check` does
        assert result.errors[0].startswith("targets.toml:")
    assert site.targets_path.read_text() == before
    with Session(site.engine) as session:
        assert session.execute(select(Audit)).first() is None


@pytest.mark.parametrize(
    ("effective", "file_hash", "expected"),
    [
        ("2026-03-10", None, "reload the page"),
        ("2026-03-10", "", "reload the page"),
        ("2026-03-10", 12, "reload the page"),
        ("2026-03-10", "0" * 64, "changed on disk"),
        (None, "ok", "Choose the day"),
        ("", "ok", "Choose the day"),
        ("10/03/2026", "ok", "expected a day as YYYY-MM-DD"),
        ("2026-02-30", "ok", "expected a day as YYYY-MM-DD"),
        ("2026-03-10x", "ok", "expected a day as YYYY-MM-DD"),
        (20260310, "ok", "expected a day as YYYY-MM-DD"),
        (["2026-03-10"], "ok", "expected a day as YYYY-MM-DD"),
    ],
    ids=repr,
)
def test_the_form_refuses_a_missing_hash_and_a_bad_day(site, effective, file_hash, expected):
    before = site.targets_path.read_text()
    result, _day = save_form(
        site.engine,
        site.targets_path,
        target_id="answer-20s",
        values={"minimum": 85},
        effective=effective,
        file_hash=text_hash(before) if file_hash == "ok" else file_hash,
        actor="alice",
    )
    assert not result.ok
    assert any(expected in e for e in result.errors), result.errors
    assert site.targets_path.read_text() == before


def test_the_form_saves_good_values_and_takes_a_blank_field_as_unchanged(site):
    before = site.targets_path.read_text()
    result, day = save_form(
        site.engine,
        site.targets_path,
        target_id="answer-20s",
        values={"name": "  ", "minimum": 85.0, "ideal": "", "min_volume": 6.0},
        effective="2026-03-10T00:00:00",
        file_hash=text_hash(before),
        actor="alice",
    )
    assert result.ok and day == DAY
    target = load_targets(site.targets_path).unwrap().target("answer-20s")
    assert (target.name, target.minimum, target.ideal, target.min_volume) == (
        "Answered within 20 s",
        85,
        90,
        6,
    )
    assert "min_volume = 6   # calls" in site.targets_path.read_text()


def test_a_file_over_the_size_limit_is_not_saved_over(site):
    before = site.targets_path.read_text() + "#" * (2 * 1024 * 1024) + "\n"
    site.targets_path.write_text(before)
    result, _ = save_form(
        site.engine,
        site.targets_path,
        target_id="answer-20s",
        values={"minimum": 85},
        effective="2026-03-10",
        file_hash=None,
        actor="alice",
    )
    assert result.errors == [f"{site.targets_path}: file is 2.0 MiB; the limit is 1 MiB"]
    assert site.targets_path.read_text() == before


# --- through the real endpoint, as a browser (or a script) posts it --------------------------


def _login(client, name: str) -> None:
    """Sign in through the form, sending back any hidden field it has (a CSRF token, say)."""
    page = client.get("/login").get_data(as_text=True)
    hidden = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    )
    data = {**hidden, "name": name, "password": PASSWORDS[name]}
    assert client.post("/login", data=data).status_code == 302


def _post(client, body: dict) -> tuple[int, str]:
    # json.dumps writes NaN and Infinity as JSON's non-standard literals, which Flask reads back.
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.get_data(as_text=True)


POSTED = [
    ({"targets-edit-id.value": "asa", "targets-edit-minimum.value": NAN}, "got nan"),
    ({"targets-edit-id.value": "asa", "targets-edit-ideal.value": INF}, "got inf"),
    ({"targets-edit-id.value": "asa", "targets-edit-minimum.value": -INF}, "got -inf"),
    ({"targets-edit-id.value": "asa", "targets-edit-minimum.value": "abc"}, 'got \\"abc\\"'),
    ({"targets-edit-id.value": "asa", "targets-edit-minimum.value": 10**400}, "expected a number"),
    ({"targets-edit-min-volume.value": NAN}, "got nan"),
    ({"targets-edit-min-volume.value": INF}, "got inf"),
    ({"targets-edit-min-volume.value": "many"}, "whole number"),
    ({"targets-edit-min-volume.value": 10**30}, "or less"),
    ({"targets-edit-min-volume.value": -3}, "0 or more"),
    ({"targets-edit-min-volume.value": 2.5}, "whole number"),
    ({"targets-edit-from.date": "banana"}, "YYYY-MM-DD"),
    ({"targets-edit-from.date": "2026-13-01"}, "YYYY-MM-DD"),
    ({"targets-edit-from.date": 5}, "YYYY-MM-DD"),
    ({"targets-edit-from.date": None}, "Choose the day"),
    ({"targets-edit-hash.data": None}, "reload the page"),
    ({"targets-edit-hash.data": ["x"]}, "reload the page"),
    ({"targets-edit-id.value": ["asa"]}, "Choose the target"),
    ({"targets-edit-id.value": "no-such"}, "no target"),
    ({"targets-edit-name.value": {"x": 1}}, "single value"),
]


def test_every_bad_posted_value_is_answered_200_with_the_error_and_saves_nothing(site):
    from dashsite import save_request_body, write_users

    from servicelevel.dashboard.app import create_app

    before = _with_asa(site)
    users = write_users(site.root / "users.toml")
    app = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    client = app.server.test_client()
    _login(client, "alice")
    deps = client.get("/_dash-dependencies").get_json()
    good = {
        "targets-save.n_clicks": 1,
        "targets-edit-id.value": "answer-20s",
        "targets-edit-name.value": "Answered within 20 s",
        "targets-edit-minimum.value": 85,
        "targets-edit-ideal.value": 90,
        "targets-edit-min-volume.value": 5,
        "targets-edit-from.date": "2026-03-10",
        "targets-edit-hash.data": text_hash(before),
    }
    for change, expected in POSTED:
        status, text = _post(client, save_request_body(deps, {**good, **change}))
        assert status == 200, (change, text[-800:])
        assert "targets-save-error" in text and expected in text, (change, text[-800:])
        assert site.targets_path.read_text() == before, change
    # and the same request with good values still saves
    status, text = _post(client, save_request_body(deps, good))
    assert status == 200 and "Saved answer-20s" in text, text[-800:]
    assert "minimum = 85     # %" in site.targets_path.read_text()


# --- the same strict check as `targets check` (issue 12, finding 7) ---------------------------


def test_a_quoted_minimum_is_refused_with_the_message_targets_check_prints(site, tmp_path):
    """The page saves through the checker: "85" (text) is refused there too, word for word."""
    from click.testing import CliRunner

    from servicelevel.cli import main

    before = site.targets_path.read_text()
    result, _day = save_form(
        site.engine,
        site.targets_path,
        target_id="answer-20s",
        values={"minimum": "85"},
        effective="2026-03-10",
        file_hash=text_hash(before),
        actor="alice",
    )
    assert not result.ok
    line = next(n for n, text in enumerate(before.splitlines(), 1) if text.startswith("minimum"))
    expected = (
        f'targets.toml:{line}: target[1].minimum: expected a number, got "85"; '
        "write minimum = 85, without quotes"
    )
    assert result.errors == [expected]
    # `targets check` of the file as the page would have written it says the same
    written = tmp_path / "check" / "targets.toml"  # beside the site's own file, not over it
    written.parent.mkdir()
    written.write_text(rewrite(before, "answer-20s", {"minimum": "85"}), encoding="utf-8")
    checked = CliRunner().invoke(main, ["targets", "check", str(written)])
    assert checked.exit_code == 2
    assert checked.stderr.splitlines()[0] == expected.replace("targets.toml", str(written), 1)
    assert site.targets_path.read_text() == before


def test_a_posted_quoted_minimum_is_answered_with_the_checkers_message(site):
    from dashsite import save_request_body, write_users

    from servicelevel.dashboard.app import create_app

    before = site.targets_path.read_text()
    users = write_users(site.root / "users.toml")
    app = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    client = app.server.test_client()
    _login(client, "alice")
    deps = client.get("/_dash-dependencies").get_json()
    values = {
        "targets-save.n_clicks": 1,
        "targets-edit-id.value": "answer-20s",
        "targets-edit-minimum.value": "85",
        "targets-edit-from.date": "2026-03-10",
        "targets-edit-hash.data": text_hash(before),
    }
    status, text = _post(client, save_request_body(deps, values))
    assert status == 200
    assert "targets-save-error" in text
    assert 'target[1].minimum: expected a number, got \\"85\\"; write minimum = 85' in text
    assert site.targets_path.read_text() == before


def test_a_fraction_saved_for_a_percentage_comes_back_with_the_checkers_warning(site):
    before = site.targets_path.read_text()
    result, _day = save_form(
        site.engine,
        site.targets_path,
        target_id="answer-20s",
        values={"minimum": 0.8, "ideal": 0.9},
        effective="2026-03-10",
        file_hash=text_hash(before),
        actor="alice",
    )
    assert result.ok and result.changed  # valid: 0.8 % is a percentage
    (warning,) = result.warnings
    assert ": warning: target[1].minimum:" in warning
    assert "did you mean minimum = 80 and ideal = 90?" in warning
