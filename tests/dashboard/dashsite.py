"""A small contact centre with known figures, for the dashboard tests.

The clock is frozen at Tuesday 10 March 2026, 10:07:30 in Paris (09:07:30 UTC), inside business
hours. Today, by queue (all service-level calls against T = 20 s):

* sales: 20 offered, 17 answered within 20 s, 1 answered after 40 s, 2 abandoned after 30 s
  -> 85.0 % (met: minimum 80, ideal 90); plus 1 short abandon and 1 call before opening.
* support: 25 offered, 24 answered within 20 s -> 96.0 % (ideal).
* billing: 10 offered, 5 answered within 20 s -> 50.0 % (breach).

Yesterday billing breached as well (4 of 10 -> 40 %). Three calls are waiting now: two in
support (oldest entered 90 s ago) and one in sales. Every ENTERQUEUE carries a caller number
(``0612345xxx``) and one garbage line holds ``+33 6 12 34 56 78``; none may ever be shown.
Agents log in and pause in support, so the drill-down has staffing to show.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import load_targets
from servicelevel.context import rollup_spec
from servicelevel.store import make_engine

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 10, 10, 7, 30, tzinfo=PARIS).astimezone(UTC)
TODAY = NOW.astimezone(PARIS).date()
CALLER_PREFIX = "0612345"
GARBAGE_NUMBER = "+33 6 12 34 56 78"
PG_TIMEZONE = "Pacific/Auckland"

TARGETS_TOML = """\
# Test policy for the dashboard.
# Comments like this one must survive an edit made on the Targets page.

[operation]
name = "Test centre"
timezone = "Europe/Paris"  # the operation's local time
short_abandon_seconds = 5
stale_after_minutes = 15
refresh_seconds = 2

[business_hours]
monday = ["08:00", "18:00"]
tuesday = ["08:00", "18:00"]
wednesday = ["08:00", "18:00"]
thursday = ["08:00", "18:00"]
friday = ["08:00", "18:00"]

[[target]]
id = "answer-20s"
name = "Answered within 20 s"
# Service level per queue, each day.
kpi = "service_level"
threshold_seconds = 20
queues = ["*"]
per_queue = true
window = "day"
minimum = 80     # %
ideal = 90       # %
min_volume = 5   # calls

[[target]]
id = "answer-20s-now"
name = "Answered within 20 s, this quarter hour"
kpi = "service_level"
threshold_seconds = 20
window = "15min"
minimum = 80
ideal = 90
min_volume = 1

[[target]]
id = "abandon-rate"
name = "Abandoned calls"
kpi = "abandon_rate"
window = "day"
minimum = 8      # % at most
ideal = 3
min_volume = 5

[[target]]
id = "returns"
name = "Return rate"
kpi = "return_rate"
window = "week"
minimum = 5
ideal = 2
"""


@dataclass
class Site:
    root: Path
    db_url: str
    targets_path: Path
    engine: Engine

    def clock(self) -> datetime:
        return NOW


def _at(day_offset: int, hh: int, mm: int, ss: int = 0) -> int:
    local = datetime(TODAY.year, TODAY.month, TODAY.day, hh, mm, ss, tzinfo=PARIS)
    return int((local + timedelta(days=day_offset)).timestamp())


class _Log:
    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self.n = 0

    def call(self, queue: str, enter: int, outcome: str | None, wait: int) -> None:
        self.n += 1
        callid = f"{enter}.{self.n}"
        caller = f"{CALLER_PREFIX}{self.n:03d}"
        self.lines.append((enter, f"{enter}|{callid}|{queue}|NONE|ENTERQUEUE||{caller}|1"))
        end = enter + wait
        if outcome == "answered":
            self.lines.append((end, f"{end}|{callid}|{queue}|Agent/7|CONNECT|{wait}|{callid}b|3"))
            done = end + 120
            line = f"{done}|{callid}|{queue}|Agent/7|COMPLETECALLER|{wait}|120|1"
            self.lines.append((done, line))
        elif outcome == "abandoned":
            self.lines.append((end, f"{end}|{callid}|{queue}|NONE|ABANDON|1|1|{wait}"))

    def event(self, at: int, queue: str, agent: str, event: str, data: str = "") -> None:
        self.lines.append((at, f"{at}|NONE|{queue}|{agent}|{event}|{data}"))

    def text(self) -> str:
        return "".join(line + "\n" for _, line in sorted(self.lines, key=lambda x: x[0]))


def _queue_day(log: _Log, day: int, queue: str, plan: list[tuple[str | None, int]]) -> None:
    """Spread ``plan`` (outcome, wait) over 08:00-10:00 of the day, two minutes apart."""
    for i, (outcome, wait) in enumerate(plan):
        log.call(queue, _at(day, 8, 0) + 120 * i + 30, outcome, wait)


def build_log() -> str:
    log = _Log()
    # today
    sales = [("answered", 10)] * 15 + [("answered", 40)] + [("abandoned", 30)] * 2
    _queue_day(log, 0, "sales", sales)
    log.call("sales", _at(0, 10, 1), "answered", 10)  # the current quarter hour
    log.call("sales", _at(0, 10, 3), "answered", 12)
    log.call("sales", _at(0, 9, 50), "abandoned", 2)  # short abandon
    log.call("sales", _at(0, 7, 0), "answered", 200)  # before opening
    _queue_day(log, 0, "support", [("answered", 5)] * 24 + [("answered", 60)])
    _queue_day(log, 0, "billing", [("answered", 10)] * 5 + [("answered", 90)] * 5)
    # waiting now (no outcome yet)
    log.call("support", _at(0, 10, 6), None, 0)
    log.call("support", _at(0, 10, 7), None, 0)
    log.call("sales", _at(0, 10, 7, 20), None, 0)
    # yesterday: billing breached
    _queue_day(log, -1, "billing", [("answered", 10)] * 4 + [("abandoned", 50)] * 6)
    _queue_day(log, -1, "sales", [("answered", 10)] * 10)
    # staffing in support: two agents log in, one pauses for 15 minutes
    log.event(_at(0, 7, 55), "support", "Agent/7", "ADDMEMBER")
    log.event(_at(0, 8, 0), "support", "Agent/8", "ADDMEMBER")
    log.event(_at(0, 9, 0), "support", "Agent/8", "PAUSE", "lunch")
    log.event(_at(0, 9, 15), "support", "Agent/8", "UNPAUSE")
    log.event(_at(0, 9, 30), "support", "Agent/8", "REMOVEMEMBER")
    text = log.text()
    return text + f"garbage line from {GARBAGE_NUMBER} please call back\n"


def make_site(root: Path, db_url: str) -> Site:
    """Write the targets and the queue_log under ``root`` and import the log into ``db_url``
    (an empty SQLite or PostgreSQL database).

    A PostgreSQL database gets a session time zone far from both UTC and the operation's
    (servers often run in local time): every time must still come out the same as on SQLite.
    """
    targets_path = root / "targets.toml"
    targets_path.write_text(TARGETS_TOML, encoding="utf-8")
    queue_log = root / "queue_log"
    queue_log.write_text(build_log(), encoding="utf-8")
    engine = make_engine(db_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"ALTER DATABASE \"{engine.url.database}\" SET timezone TO '{PG_TIMEZONE}'"
            )
        engine.dispose()  # new connections take the setting
    targets = load_targets(targets_path).unwrap()
    import_file(engine, queue_log, rollup_spec(targets), final=False)
    return Site(root, db_url, targets_path, engine)


# --- people -------------------------------------------------------------------------------
# alice edits targets (a team leader); victor only looks (a wallboard account).
PASSWORDS = {"alice": "alice-secret-1", "victor": "victor-secret-1"}


@functools.cache
def _users_text() -> str:
    """The users file, made once per process: each password hash takes a deliberate ~0.1-0.5 s."""
    from servicelevel.dashboard.auth import add_user

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.toml"
        add_user(path, "alice", PASSWORDS["alice"], "editor")
        add_user(path, "victor", PASSWORDS["victor"], "viewer")
        return path.read_text(encoding="utf-8")


def write_users(path: Path) -> Path:
    """Write the users file of alice and victor at ``path`` (as ``add_user`` writes it)."""
    path.write_text(_users_text(), encoding="utf-8")
    path.chmod(0o600)  # as add_user leaves it
    return path


def save_request_body(dependencies: list[dict], values: dict) -> dict:
    """The JSON the browser posts to /_dash-update-component for the Save button."""
    dep = next(d for d in dependencies if "targets-save-result" in d["output"])

    def item(spec: dict) -> dict:
        key = f"{spec['id']}.{spec['property']}"
        return {"id": spec["id"], "property": spec["property"], "value": values.get(key)}

    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [item(s) for s in dep["inputs"]],
        "state": [item(s) for s in dep["state"]],
        "changedPropIds": ["targets-save.n_clicks"],
    }


def sign_in(dash_duo, name: str, then: str = "/live") -> str:
    """Log in through the real form; returns the server's base URL."""
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    driver.get(f"{base}/login?next={then}")
    driver.find_element("id", "login-name").send_keys(name)
    driver.find_element("id", "login-password").send_keys(PASSWORDS[name])
    driver.find_element("id", "login-submit").click()
    dash_duo.wait_for_page(f"{base}{then}")
    return base
