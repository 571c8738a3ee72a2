"""Our queue_log import against the fastest way to put the same rows in the same tables.

Ours: ``import_file`` reads the log, runs the call state machine, dedupes by natural key, inserts
calls and agent events and upserts the rollups, one transaction per batch with the position.

Baseline, measured in the same run on the same database server: the very rows our import stored
(``calls`` and ``queue_events``, read back untimed from our database) bulk-inserted into a fresh,
identically migrated database (same indexes) in one transaction: ``executemany`` through the
sqlite3 driver on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL. Only the writes are timed; the
baseline neither parses nor dedupes nor rolls up, so it is the limit we measure ourselves against.

    python bench/ingest.py --calls 1000000 --db both --runs 5
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SCALES,
    TARGETS,
    Database,
    Databases,
    Stopwatch,
    fmt_s,
    median,
    profiled,
    psycopg_conninfo,
    time_call,
    write_json,
)

GOAL = 2.0
TABLES = {
    "calls": (
        "source", "callid", "queue", "entered_at", "outcome", "wait_s", "ended_at",
        "talk_s", "agent", "caller_hash", "ring_no_answer",
    ),
    "queue_events": ("line_hash", "source", "at", "queue", "agent", "event", "data"),
}  # fmt: skip
FETCH = 50_000


def ours(db: Database, log: Path, profile: bool = False) -> tuple[float, dict[str, int]]:
    from servicelevel.collectors.queue_log.importer import import_file
    from servicelevel.config import load_targets
    from servicelevel.context import rollup_spec
    from servicelevel.store.engine import make_engine

    spec = rollup_spec(load_targets(TARGETS).unwrap())
    engine = make_engine(db.url)
    try:
        if profile:
            result, top = profiled(lambda: import_file(engine, log, spec))
            return 0.0, {"profile": top}  # type: ignore[dict-item]
        took, result = time_call(lambda: import_file(engine, log, spec))
        assert result.balanced and result.quarantined == 0, result.summary()
        with engine.connect() as conn:
            from sqlalchemy import text

            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
            }
        counts["lines"] = result.read
    finally:
        engine.dispose()
    return took, counts


def _migrated(db: Database) -> None:
    from servicelevel.store.engine import make_engine

    make_engine(db.url).dispose()


def raw_sqlite(source: Database, target: Database) -> float:
    """executemany of the stored rows, one transaction; only the writes are timed."""
    _migrated(target)
    watch = Stopwatch()
    src = sqlite3.connect(str(source.path))
    dst = sqlite3.connect(str(target.path), isolation_level=None)
    try:
        dst.execute("PRAGMA synchronous=NORMAL")  # as the store's engine sets it (WAL is kept)
        with watch.timed():
            dst.execute("BEGIN")
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            cursor = src.execute(f"SELECT {names} FROM {table} ORDER BY id")
            while rows := cursor.fetchmany(FETCH):
                with watch.timed():
                    dst.executemany(insert, rows)
        with watch.timed():
            dst.execute("COMMIT")
    finally:
        src.close()
        dst.close()
    return watch.total


def raw_postgres(source: Database, target: Database) -> float:
    """COPY FROM STDIN of the stored rows, one transaction; only the writes are timed."""
    import psycopg

    _migrated(target)
    watch = Stopwatch()
    with (
        psycopg.connect(psycopg_conninfo(source.url)) as src,
        psycopg.connect(psycopg_conninfo(target.url)) as dst,
    ):
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            query = f"COPY (SELECT {names} FROM {table} ORDER BY id) TO STDOUT"
            with src.cursor().copy(query) as out:
                into = dst.cursor().copy(f"COPY {table} ({names}) FROM STDIN")
                with watch.timed():
                    writer = into.__enter__()
                for block in out:
                    with watch.timed():
                        writer.write(block)
                with watch.timed():
                    into.__exit__(None, None, None)
        with watch.timed():
            dst.commit()
    return watch.total


def _count(db: Database, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db.url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def bench_one(
    kind: str, log: Path, runs: int, pg_url: str | None, profile: bool = False
) -> dict[str, Any]:
    ours_times: list[float] = []
    raw_times: list[float] = []
    counts: dict[str, int] = {}
    with Databases(kind, pg_url) as dbs:
        for run in range(runs):
            mine = dbs.fresh()
            took, counts = ours(mine, log)
            ours_times.append(took)
            theirs = dbs.fresh()
            raw = (raw_sqlite if kind == "sqlite" else raw_postgres)(mine, theirs)
            raw_times.append(raw)
            for table in TABLES:
                assert _count(theirs, table) == counts[table], f"baseline lost rows of {table}"
            print(
                f"  {kind} run {run + 1}/{runs}: ours {fmt_s(took)}, raw insert {fmt_s(raw)} "
                f"({took / raw:.2f}x)",
                flush=True,
            )
            dbs.drop(mine)
            dbs.drop(theirs)
        top: list[dict[str, Any]] = []
        if profile:  # one more, untimed run of ours under cProfile
            mine = dbs.fresh()
            top = ours(mine, log, profile=True)[1]["profile"]  # type: ignore[assignment]
            dbs.drop(mine)
    ours_s, raw_s = median(ours_times), median(raw_times)
    rows = counts["calls"] + counts["queue_events"]
    return {
        "db": kind,
        "runs": runs,
        "calls": counts["calls"],
        "events": counts["queue_events"],
        "lines": counts["lines"],
        "ours_s": ours_s,
        "raw_s": raw_s,
        "ours_runs_s": ours_times,
        "raw_runs_s": raw_times,
        "ratio": ours_s / raw_s,
        "goal": GOAL,
        "ours_calls_per_s": counts["calls"] / ours_s,
        "ours_lines_per_s": counts["lines"] / ours_s,
        "ours_rows_per_s": rows / ours_s,
        "raw_rows_per_s": rows / raw_s,
        "profile": top,
    }


def report(result: dict[str, Any]) -> str:
    verdict = "ok" if result["ratio"] <= result["goal"] else "MISSED"
    return (
        f"ingest {result['db']}: {result['calls']:,} calls + {result['events']:,} events "
        f"({result['lines']:,} lines), median of {result['runs']}: ours {fmt_s(result['ours_s'])} "
        f"({result['ours_rows_per_s']:,.0f} rows/s, {result['ours_lines_per_s']:,.0f} lines/s), "
        f"raw insert {fmt_s(result['raw_s'])} ({result['raw_rows_per_s']:,.0f} rows/s): "
        f"{result['ratio']:.2f}x (goal <= {result['goal']}x: {verdict})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, help="queue_log to import (default: generate one)")
    parser.add_argument("--calls", default="100k", help="calls to generate: 100k, 1M, 10M or N")
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5, help="runs per database (median)")
    parser.add_argument("--pg-url", help="an existing PostgreSQL database whose server may "
                        "create databases (default: a throwaway cluster)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="where to put the generated log")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--profile", action="store_true",
                        help="an extra, untimed run of ours under cProfile")  # fmt: skip
    args = parser.parse_args(argv)
    from _common import ensure_log

    calls = SCALES.get(args.calls) or int(args.calls)
    workdir = args.workdir or Path.cwd()
    log = ensure_log(args.log, calls, args.queues, args.seed, workdir)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    for kind in kinds:
        result = bench_one(kind, log, args.runs, args.pg_url, args.profile)
        print(report(result), flush=True)
        results.append(result)
    write_json(args.json, {"ingest": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
