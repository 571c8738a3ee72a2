"""Editing a target in the browser: an editor's change reaches targets.toml and the Live page;
a viewer sees the form locked."""

from __future__ import annotations

from dashsite import sign_in, write_users

from servicelevel.dashboard.app import create_app


def _app(site):
    users = write_users(site.root / "users.toml")
    return create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)


def _type(dash_duo, selector: str, text: str) -> None:
    element = dash_duo.find_element(selector)
    dash_duo.clear_input(element)
    element.send_keys(text)


def test_an_editor_changes_a_minimum_and_live_shows_it(dash_duo, site):
    before = site.targets_path.read_text()
    dash_duo.start_server(_app(site), navigate=False)
    sign_in(dash_duo, "alice", then="/targets")
    dash_duo.wait_for_text_to_equal("#shell-user", "alice (editor)")
    # answer-20s is the first target in the form; billing makes 50 % today.
    dash_duo.wait_for_element("#targets-edit-minimum")
    _type(dash_duo, "#targets-edit-minimum", "40")
    _type(dash_duo, "#targets-edit-ideal", "45")
    dash_duo.find_element("#targets-save").click()
    dash_duo.wait_for_contains_text("#targets-save-ok", "Saved answer-20s")

    after = site.targets_path.read_text()
    assert "minimum = 40     # %" in after and "ideal = 45       # %" in after
    assert "# Comments like this one must survive an edit made on the Targets page." in after
    assert (
        after.replace("minimum = 40 ", "minimum = 80 ").replace("ideal = 45 ", "ideal = 90 ")
        == before
    )
    dash_duo.wait_for_contains_text("#targets-history-grid", "minimum 80 → 40")

    dash_duo.find_element("#shell-nav-live").click()
    billing = dash_duo.wait_for_element('[data-tile="answer-20s|billing"]')
    dash_duo.wait_for_contains_text('[data-tile="answer-20s|billing"] .sl-badge', "Ideal")
    assert "minimum 40 % · ideal 45 %" in billing.text
    assert dash_duo.get_logs() == []


def test_a_viewer_sees_the_targets_but_cannot_edit(dash_duo, site):
    dash_duo.start_server(_app(site), navigate=False)
    sign_in(dash_duo, "victor", then="/targets")
    dash_duo.wait_for_text_to_equal("#shell-user", "victor (viewer)")
    dash_duo.wait_for_contains_text("#targets-readonly", "not change them")
    assert not dash_duo.find_element("#targets-save").is_enabled()
    assert not dash_duo.find_element("#targets-edit-minimum").is_enabled()
    dash_duo.wait_for_element("#targets-grid .ag-row")
    assert dash_duo.get_logs() == []


def test_a_broken_targets_file_shows_its_errors_in_a_banner(dash_duo, site):
    dash_duo.start_server(_app(site), navigate=False)
    sign_in(dash_duo, "victor", then="/live")
    dash_duo.wait_for_element('[data-tile="answer-20s|sales"]')
    text = site.targets_path.read_text().replace('kpi = "abandon_rate"', 'kpi = "abandon_rat"')
    site.targets_path.write_text(text)
    dash_duo.wait_for_contains_text("#shell-banner", "last good targets", timeout=10)
    dash_duo.wait_for_contains_text("#shell-banner", 'did you mean "abandon_rate"')
    # the tiles stay, computed with the last good targets
    assert dash_duo.find_element('[data-tile="answer-20s|sales"]')
    assert dash_duo.get_logs() == []
