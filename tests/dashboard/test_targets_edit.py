"""Saving a target from the dashboard: comments survive, errors are refused, changes audited."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.config import load_targets, parse_targets
from servicelevel.dashboard.targets_edit import rewrite, save_edit, text_hash
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
