"""Issue 11, finding 9: a link built from a queue name stays a link to our page, whatever the name.

A queue name comes from a source's lines. The Breaches "Calls" column is a markdown link; before
the fix the name went into it raw, so ``x) [evil](https://evil.example`` made a second, working
link to another site and ``?q=1&next=//evil.example`` added parameters of its own.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from dashsite import NOW, PARIS, TODAY, write_users
from logins import login
from sqlalchemy.orm import Session

from servicelevel.config import load_targets
from servicelevel.context import rollup_spec
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard.app import create_app
from servicelevel.dashboard.links import markdown_link, page_href
from servicelevel.store import ingest
from servicelevel.store.ingest import CallFact

CRAFTED = [
    'x" onclick="alert(1)',
    "?q=1&next=//evil.example",
    "//evil.example",
    "x) [evil](https://evil.example",
    "a&day=1999-01-01#top",
    "sales support",
]
# The whole cell is one link: text, then a destination with nothing that could end it early.
ONE_LINK = re.compile(r"^\[Open (\d{4}-\d{2}-\d{2})\]\(([^()\[\]\s\"<>]+)\)$")


def assert_stays_on_the_queue_page(drilldown: str, queue: str) -> None:
    match = ONE_LINK.match(drilldown)
    assert match, drilldown
    day, href = match.groups()
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("", "", "/queue", "")
    assert parse_qs(parts.query) == {"queue": [queue], "day": [day]}


def breach_in(site, queue: str) -> None:
    """Ten calls today in ``queue``, all answered after 45 s: a 0 % service level."""
    targets = load_targets(site.targets_path).unwrap()
    start = datetime(TODAY.year, TODAY.month, TODAY.day, 8, 0, tzinfo=PARIS)
    facts = [
        CallFact(
            source="links-test",
            callid=f"links-{sum(map(ord, queue))}-{n}",
            queue=queue,
            entered_at=start + timedelta(minutes=3 * n),
            outcome="answered",
            wait_s=45.0,
        )
        for n in range(10)
    ]
    with Session(site.engine) as session, session.begin():
        ingest.write_calls(session, facts, rollup_spec(targets))


@pytest.mark.parametrize("queue", CRAFTED)
def test_a_crafted_queue_name_is_percent_encoded_into_one_link_to_the_queue_page(queue):
    link = markdown_link("Open 2026-03-09", page_href("/queue", queue=queue, day="2026-03-09"))
    assert_stays_on_the_queue_page(link, queue)


def test_the_breaches_page_links_a_crafted_queue_to_its_own_drill_down(site):
    for queue in CRAFTED:
        breach_in(site, queue)
    targets = load_targets(site.targets_path).unwrap()
    found = dh.breaches(
        site.engine,
        targets,
        {},
        TODAY,
        TODAY + timedelta(days=1),
        now=NOW,
        target_ids=["answer-20s"],
        queues=CRAFTED,
    )
    assert sorted(b.scope for b in found) == sorted(CRAFTED)
    for breach in found:
        row = dh.breach_row(breach, targets, NOW)
        assert_stays_on_the_queue_page(row["drilldown"], breach.scope)


def test_the_breaches_callback_sends_the_encoded_link_over_the_wire(site):
    queue = "x) [evil](https://evil.example"
    breach_in(site, queue)
    app = create_app(
        site.engine,
        site.targets_path,
        users_path=write_users(site.root / "users.toml"),
        clock=site.clock,
    )
    client = app.server.test_client()
    login(client, "victor")
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if "breaches-table.children" in d["output"])
    values = {
        "breaches-targets.value": ["answer-20s"],
        "breaches-queues.value": [queue],
        "breaches-dates.start_date": TODAY.isoformat(),
        "breaches-dates.end_date": TODAY.isoformat(),
    }
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": part.split(".")[0], "property": part.split(".")[1]}
            for part in dep["output"].strip(".").split("...")
        ],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "changedPropIds": ["breaches-queues.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data
    table = response.get_json()["response"]["breaches-table"]["children"]
    (row,) = table["props"]["rowData"]
    assert row["queue"] == queue  # shown as text in its own column, as it is
    assert_stays_on_the_queue_page(row["drilldown"], queue)
