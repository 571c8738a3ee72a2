"""The Assessment page: in the browser, an editor answers every statement and saves, and the
result appears (the latest, its weakest areas, the history), while a viewer sees the results and
no form; through the callback itself (Flask's test client), a viewer's save is refused and an
editor's answers are checked by the record file's own check."""

from __future__ import annotations

from datetime import date

from dashsite import TODAY, sign_in, write_users
from logins import login

from servicelevel.assessment import (
    DEFAULT_STATEMENTS,
    Assessment,
    latest_assessment,
    save_assessment,
)
from servicelevel.dashboard.app import create_app

RATINGS = {"culture": (5, 4, 4, 3), "products": (4, 4, 5, 3), "feedback": (3, 4, 4),
           "knowing": (4, 3, 4), "contact": (5, 4, 4), "empowerment": (4, 4, 3, 4, 5),
           "improvement": (4, 3, 4)}  # fmt: skip


def _click(dash_duo, selector: str) -> None:
    """Click as a person does, scrolled to at once first: Bootstrap scrolls smoothly, and
    selenium's own scroll then clicks while the page still moves, beside the target."""
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def _choose(dash_duo, area: str, index: int, rating: int) -> None:
    _click(dash_duo, f"#assessment-q-{area}-{index} input[value='{rating}']")


def _app(site):
    users = write_users(site.root / "users.toml")
    return create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)


def test_an_editor_answers_the_statements_saves_and_sees_the_result(dash_duo, site):
    dash_duo.start_server(_app(site), navigate=False)
    sign_in(dash_duo, "alice", then="/assessment")
    dash_duo.wait_for_text_to_equal("#shell-user", "alice (editor)")
    dash_duo.wait_for_contains_text("#assessment-none", "No self-assessment recorded yet")
    dash_duo.wait_for_element("#assessment-form")
    # Save with one statement unanswered: refused, naming it; nothing stored.
    for area, ratings in RATINGS.items():
        for i, rating in enumerate(ratings):
            if (area, i) != ("knowing", 1):
                _choose(dash_duo, area, i, rating)
    _click(dash_duo, "#assessment-save")
    dash_duo.wait_for_contains_text(
        "#assessment-save-error", "Knowing customers, statement 2: not answered"
    )
    assert latest_assessment(site.engine) is None
    _choose(dash_duo, "knowing", 1, 3)
    _click(dash_duo, "#assessment-save")
    dash_duo.wait_for_contains_text(
        "#assessment-save-ok", f"Saved: {TODAY.isoformat()}, total 27.33 of 35, adequate."
    )
    dash_duo.wait_for_contains_text("#assessment-latest", "Total 27.33 of 35: adequate")
    assert f"{TODAY.isoformat()} by alice" in dash_duo.find_element("#assessment-latest").text
    assert dash_duo.find_element("#assessment-weakest").text == (
        "Weakest: Responsiveness to feedback (3.67), Knowing customers (3.67), "
        "Continuous improvement (3.67)"
    )
    dash_duo.wait_for_element("#assessment-areas-graph .main-svg")
    dash_duo.wait_for_element("#assessment-history-graph .main-svg")
    stored = latest_assessment(site.engine)
    assert stored is not None and stored.author == "alice" and stored.assessed_on == TODAY
    assert stored.ratings == RATINGS and stored.statements == DEFAULT_STATEMENTS
    assert dash_duo.get_logs() == []


def test_a_viewer_sees_the_results_over_time_and_no_form(dash_duo, site):
    for day, contact in ((date(2025, 9, 1), (2, 2, 2)), (date(2026, 3, 2), (5, 4, 4))):
        save_assessment(
            site.engine,
            Assessment(day, "owner", DEFAULT_STATEMENTS, {**RATINGS, "contact": contact}),
        )
    dash_duo.start_server(_app(site), navigate=False)
    sign_in(dash_duo, "victor", then="/assessment")
    dash_duo.wait_for_text_to_equal("#shell-user", "victor (viewer)")
    dash_duo.wait_for_contains_text("#assessment-latest", "Total 27.33 of 35: adequate")
    assert "2026-03-02 by owner" in dash_duo.find_element("#assessment-latest").text
    dash_duo.wait_for_contains_text("#assessment-readonly", "only an editor can record")
    assert dash_duo.driver.find_elements("css selector", "#assessment-form") == []
    assert dash_duo.driver.find_elements("css selector", "#assessment-save") == []
    dash_duo.wait_for_element("#assessment-grid .ag-row")
    rows = dash_duo.driver.find_elements("css selector", "#assessment-grid .ag-row")
    assert len(rows) == 2  # 2025-09-01 (25.00, adequate) and 2026-03-02
    dash_duo.wait_for_element("#assessment-history-graph .main-svg")
    assert dash_duo.get_logs() == []


def _save_body(client, ratings: dict[str, list], day: str = TODAY.isoformat()) -> dict:
    """The JSON the browser posts for Save, with ``ratings`` as the chosen values."""
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if "assessment-save-result" in d["output"])
    date_state = dep["state"][0]
    choices = [
        {"id": {"type": "assessment-rating", "area": area, "index": i}, "property": "value",
         "value": value}
        for area, values in ratings.items()
        for i, value in enumerate(values)
    ]  # fmt: skip
    return {
        "output": dep["output"],
        "outputs": [
            {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
            for part in dep["output"].strip(".").split("...")
        ],
        "inputs": [{"id": "assessment-save", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": date_state["id"], "property": date_state["property"], "value": day},
            choices,
        ],
        "changedPropIds": ["assessment-save.n_clicks"],
    }


def test_a_viewer_cannot_save_even_by_posting_the_callback(site):
    client = _app(site).server.test_client()
    login(client, "victor")
    response = client.post("/_dash-update-component", json=_save_body(client, RATINGS))
    assert response.status_code == 403
    assert latest_assessment(site.engine) is None


def _said(response) -> list[str]:
    """Every text the callback's response puts on the page."""
    assert response.status_code == 200, response.data
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            walk(node.get("props", {}).get("children"))

    walk(response.get_json()["response"]["assessment-save-result"]["children"])
    return found


def test_an_editors_answers_are_checked_as_a_record_file_is(site):
    client = _app(site).server.test_client()
    login(client, "alice")
    posted = {**RATINGS, "contact": [5, 9], "empowerment": [4, 4, 3, 4, "5"]}
    said = _said(client.post("/_dash-update-component", json=_save_body(client, posted)))
    assert said == [
        "Not saved: ",
        "Ease of contact: expected 3 ratings, one per statement of Ease of contact, got 2",
        "Ease of contact, statement 2: expected a whole number from 1 (never) to 5 (always), got 9",
        "Staff empowerment, statement 5: expected a whole number from 1 (never) to 5 (always), "
        'got "5"',
    ]
    late = client.post("/_dash-update-component", json=_save_body(client, RATINGS, "2026-03-11"))
    assert _said(late)[1] == (
        "Day: 2026-03-11 is after today (2026-03-10); expected the day the statements were rated"
    )
    assert latest_assessment(site.engine) is None
    saved = client.post("/_dash-update-component", json=_save_body(client, RATINGS, "2026-03-01"))
    assert _said(saved) == ["Saved: 2026-03-01, total 27.33 of 35, adequate."]
    stored = latest_assessment(site.engine)
    assert stored is not None and (stored.assessed_on, stored.author) == (date(2026, 3, 1), "alice")
