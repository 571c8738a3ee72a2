"""Kill -9 at random moments, resume, and end with exactly the rows of one clean import.

``servicelevel import`` runs in a child process and is killed with SIGKILL again and again, then
allowed to finish. ``forkserver`` forks the children from an interpreter that has imported the
package already, so a run starts in milliseconds: a kill during Python's own start-up would touch
no data anyway. The moment is drawn by progress, not by time: the test watches the runs'
counters in ``ingest_runs`` (committed in the same transaction as each batch) and kills just
after the batch holding a random line was committed, somewhere in the batch after it (reading,
writing or committing); one kill in five lands while the run starts (migrations check, targets,
opening the file). So the log can stay small and every kill still lands where it was meant to,
however loaded the machine.

The store must then hold exactly what one uninterrupted import of the same file holds: the same
calls, calls still waiting, rollups, agent events and quarantined lines, nothing lost and
nothing twice; and the runs' counters, added up, must account for every line once.

SERVICELEVEL_KILLS sets the number of kills per database and kind (default 20 for the queue_log,
6 for the CSV export).
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from forkserver import ForkServer
from queue_log_calls import calls, interleaved
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servicelevel.store import make_engine
from servicelevel.store.schema import IngestRun

REPO = Path(__file__).resolve().parents[2]
KILLS = {"asterisk-queue-log": 20, "calls-csv": 6}
BATCH_ROWS = 400  # lines (queue_log) or rows (CSV) per committed batch
# Small enough to stay quick, big enough for a dozen batches or more to kill in between.
SIZES = {"asterisk-queue-log": 3_000, "calls-csv": 5_000}  # calls: ~8,000 and ~5,000 lines
START_SHARE = 0.2  # the share of kills drawn while the process starts, before its first commit
POLL_S = 0.01
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
    """The arguments of ``python -m servicelevel`` for one import of ``data`` into ``url``."""
    cmd = [
        "import", kind, str(data), "--db", url,
        "--targets", str(folder / "targets.toml"), "--batch-rows", str(BATCH_ROWS), "--no-progress",
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


class Progress:
    """The lines the runs into one database have committed so far, read while an import runs
    (the counters are written in the same transaction as the batch they count)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, upgrade=False)
        self.query = select(func.coalesce(func.sum(IngestRun.read), 0))

    def read(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(self.query).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Pace:
    """How the clean import went: seconds to its first commit, and per batch after it."""

    first_commit_s: float
    batch_s: float


def clean_import(server: ForkServer, argv: list[str], progress: Progress, log: Path) -> Pace:
    """Run the import to the end, timing its commits; fails the test if the import fails."""
    server.start(argv, log)
    began = time.monotonic()
    first = None
    while server.poll() is None:
        if first is None and progress.read() > 0:
            first = time.monotonic() - began
        time.sleep(POLL_S)
    total = time.monotonic() - began
    assert server.returncode == 0, log.read_text()
    first = total if first is None else first
    return Pace(first, (total - first) / max(1, progress.read() // BATCH_ROWS))


def kill_mid_way(
    server: ForkServer, progress: Progress, lines: int, pace: Pace, rng: random.Random
) -> bool:
    """SIGKILL the running import at a moment drawn from its progress; True if it was killed
    (False if it finished first)."""
    if rng.random() < START_SHARE:  # starting: migrations check, targets, opening the file
        time.sleep(rng.uniform(0.0, pace.first_commit_s))
    else:  # just after the batch holding line ``goal`` was committed, anywhere in the next one
        goal = rng.randrange(progress.read(), lines)
        while server.poll() is None and progress.read() <= goal:
            time.sleep(POLL_S)
        time.sleep(rng.uniform(0.0, pace.batch_s))
    server.kill()
    return server.wait() == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asterisk-queue-log", "calls-csv"])
def test_kill_9_at_random_moments_then_resume_equals_one_clean_import(kind, fresh_url, tmp_path):
    (tmp_path / "targets.toml").write_text(TARGETS)
    (tmp_path / "mapping.toml").write_text(MAPPING)
    data = tmp_path / ("queue_log" if kind == "asterisk-queue-log" else "calls.csv")
    make_file = queue_log_file if kind == "asterisk-queue-log" else csv_file
    lines = make_file(data, SIZES[kind])
    assert lines >= 10 * BATCH_ROWS  # room for kills between batches
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    stderr = tmp_path / "stderr.txt"

    clean_url = fresh_url()
    server = ForkServer(env)
    try:
        progress = Progress(clean_url)
        pace = clean_import(server, command(kind, data, clean_url, tmp_path), progress, stderr)
        progress.close()
        clean = snapshot(clean_url)
        assert clean["calls"] and clean["quarantine"]
        clean_totals = run_totals(clean_url)
        assert clean_totals[0] == lines == sum(clean_totals[1:])

        rng = random.Random(kind)
        kills = int(os.environ.get("SERVICELEVEL_KILLS", KILLS[kind]))
        killed = mid_import = 0
        while killed < kills:
            url = fresh_url()
            progress = Progress(url)
            for _ in range(min(5, kills - killed)):  # several kills into the same database
                if progress.read() >= lines:
                    break  # an earlier run got to the end: nothing left to interrupt here
                server.start(command(kind, data, url, tmp_path), stderr)
                killed += kill_mid_way(server, progress, lines, pace, rng)
                read = progress.read()
                mid_import += 0 < read < lines
            progress.close()
            server.start(command(kind, data, url, tmp_path), stderr)
            assert server.wait() == 0, stderr.read_text()
            assert snapshot(url) == clean
            totals = run_totals(url)
            assert totals[0] == lines == sum(totals[1:]), totals
    finally:
        server.close()
    print(f"{kind}: {killed} kills, {mid_import} after a batch was committed and before the end")
    assert mid_import >= kills // 3, f"only {mid_import} of {kills} kills hit a running import"
