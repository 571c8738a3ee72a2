"""Kill -9 at random moments, resume, and end with exactly the rows of one clean import.

``servicelevel import`` runs in a subprocess and is killed with SIGKILL at a random moment (while
it starts, reads, writes a batch or commits), again and again, then allowed to finish. The
store must then hold exactly what one uninterrupted import of the same file holds: the same
calls, calls still waiting, rollups, agent events and quarantined lines, nothing lost and
nothing twice; and the runs' counters, added up, must account for every line once.

SERVICELEVEL_KILLS sets the number of kills per database and kind (default 20 for the queue_log,
6 for the CSV export).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from queue_log_calls import calls, interleaved
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servicelevel.store import make_engine
from servicelevel.store.schema import IngestRun

REPO = Path(__file__).resolve().parents[2]
KILLS = {"asterisk-queue-log": 20, "calls-csv": 6}
TARGETS = """
[operation]
timezone = "Europe/Paris"

[[target]]
id = "sl"
name = "Answered within 20 s"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90
"""
MAPPING = """
kind = "calls"
timezone = "UTC"
datetime_format = "epoch"

[columns]
callid = "id"
queue = "queue"
entered_at = "entered"
wait_s = "wait"
outcome = "outcome"
"""
# What one import leaves behind, table by table, without surrogate ids or timestamps of the run.
SNAPSHOT = {
    "calls": "SELECT callid, queue, entered_at, outcome, wait_s, ended_at, talk_s, agent, "
    "ring_no_answer FROM calls",
    "open_calls": "SELECT callid, queue, entered_at, ring_no_answer FROM open_calls",
    "rollups_15min": "SELECT * FROM rollups_15min",
    "rollup_thresholds": "SELECT * FROM rollup_thresholds",
    "queue_events": "SELECT line_hash, at, queue, agent, event, data FROM queue_events",
    "quarantine": "SELECT reason, raw FROM quarantine",
}


def queue_log_file(path: Path, n_calls: int) -> int:
    """A queue_log of ``n_calls`` calls plus agent events, repeats, corrupt lines, and calls
    still waiting at the end; returns its number of lines."""
    rng = random.Random(4)
    # All in the past: a line more than a day ahead of the clock is quarantined as "in the
    # future", and the clock moves while the test runs, so such lines would make one import
    # differ from the next by the minutes between them, not by the kills.
    start = int(time.time()) - 86400 - 60 * n_calls - 3600
    lines = interleaved(calls(n_calls, start=start, queues=("sales", "support", "billing")))
    for i in range(0, len(lines), 97):
        lines.insert(i, f"{start + i}|NONE|sales|Agent/100{i % 7}|PAUSE|lunch")
    for _ in range(40):
        lines.insert(rng.randrange(len(lines)), rng.choice(lines))  # a line sent twice
    for i in range(25):
        lines.insert(rng.randrange(len(lines)), f"{start}|bad{i}|sales|NONE|NOSUCHEVENT|1")
        lines.insert(rng.randrange(len(lines)), f"not a queue_log line {i}")
    end = start + 60 * n_calls
    lines += [f"{end + i}|wait{i}|sales|NONE|ENTERQUEUE||0600000000|1" for i in range(5)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def csv_file(path: Path, n_calls: int) -> int:
    start = int(time.time()) - 3 * 86400
    rows = ["id,queue,entered,wait,outcome"]
    for call in calls(n_calls, start=start):
        rows.append(f"{call.callid},{call.queue},{call.entered},{call.wait},{call.outcome}")
    for i in range(0, n_calls, 250):
        rows.insert(i + 1, f"broken{i},sales,never,3,answered")
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return len(rows) - 1


def command(kind: str, data: Path, url: str, folder: Path) -> list[str]:
    cmd = [
        sys.executable, "-m", "servicelevel", "import", kind, str(data), "--db", url,
        "--targets", str(folder / "targets.toml"), "--batch-rows", "400", "--no-progress",
    ]  # fmt: skip
    if kind == "calls-csv":
        cmd += ["--mapping", str(folder / "mapping.toml")]
    return cmd


def snapshot(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: sorted(tuple(map(str, row)) for row in connection.execute(text(sql)))
                for name, sql in SNAPSHOT.items()
            }
    finally:
        engine.dispose()


def run_totals(url: str) -> tuple[int, ...]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return tuple(
                session.execute(
                    select(
                        func.sum(IngestRun.read), func.sum(IngestRun.stored),
                        func.sum(IngestRun.duplicates), func.sum(IngestRun.quarantined),
                    )
                ).one()
            )  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request, tmp_path):
    """A factory of empty databases with the schema in place (kills test the import, not the
    first migration)."""
    if request.param == "sqlite":
        counter = iter(range(1000))

        def make():
            url = f"sqlite:///{tmp_path}/kill{next(counter)}.db"
            make_engine(url).dispose()
            return url

        yield make
        return
    server = request.getfixturevalue("postgres_server")
    stack = []

    def make_pg():
        context = server.fresh_database()
        stack.append(context)
        url = context.__enter__()
        make_engine(url).dispose()
        return url

    yield make_pg
    for context in stack:
        context.__exit__(None, None, None)


@pytest.mark.parametrize("kind", ["asterisk-queue-log", "calls-csv"])
def test_kill_9_at_random_moments_then_resume_equals_one_clean_import(kind, fresh_url, tmp_path):
    (tmp_path / "targets.toml").write_text(TARGETS)
    (tmp_path / "mapping.toml").write_text(MAPPING)
    data = tmp_path / ("queue_log" if kind == "asterisk-queue-log" else "calls.csv")
    # Big enough that the import outlasts the interpreter's start-up: a kill is drawn anywhere in
    # the clean run's duration, and the faster the import, the more kills land before it begins.
    lines = queue_log_file(data, 40_000) if kind == "asterisk-queue-log" else csv_file(data, 30_000)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    clean_url = fresh_url()
    began = time.monotonic()
    done = subprocess.run(
        command(kind, data, clean_url, tmp_path), env=env, capture_output=True, text=True
    )
    duration = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    clean = snapshot(clean_url)
    assert clean["calls"] and clean["quarantine"]
    clean_totals = run_totals(clean_url)
    assert clean_totals[0] == lines == sum(clean_totals[1:])

    rng = random.Random(kind)
    kills = int(os.environ.get("SERVICELEVEL_KILLS", KILLS[kind]))
    killed = mid_import = 0
    while killed < kills:
        url = fresh_url()
        for _ in range(min(5, kills - killed)):  # several kills into the same database
            process = subprocess.Popen(
                command(kind, data, url, tmp_path), env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            time.sleep(rng.uniform(0.0, duration))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
            process.wait()
            read = run_totals(url)[0] or 0
            mid_import += 0 < read < lines
        finish = subprocess.run(
            command(kind, data, url, tmp_path), env=env, capture_output=True, text=True
        )
        assert finish.returncode == 0, finish.stderr
        assert snapshot(url) == clean
        totals = run_totals(url)
        assert totals[0] == lines == sum(totals[1:]), totals
    print(f"{kind}: {killed} kills, {mid_import} after a batch was committed and before the end")
    assert mid_import >= kills // 3, f"only {mid_import} of {kills} kills hit a running import"
