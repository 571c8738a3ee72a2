"""Every target for every day of a year: our evaluation against DuckDB on the raw calls.

Ours: ``evaluate_range`` over the year (every window of every target in bench/targets.toml, per
queue where the target says so), which sums 15-minute rollups.

Reference, measured in the same run: what a data analyst would reach for. The raw ``calls`` table
is exported (untimed) to Parquet; DuckDB then reads the Parquet file and applies the documented
definitions (docs/targets.md) itself: local-day/week/month windows in the operation's time zone,
business hours and public holidays per 15-minute interval, short abandons left out, thresholds,
abandon modes. The timed part is reading the file, computing and fetching every value.

The script fails (exit 1) if any value or volume differs between the two.

    python bench/evaluate.py --calls 1000000 --runs 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SCALES,
    TARGETS,
    Databases,
    ensure_log,
    fmt_s,
    median,
    profiled,
    time_call,
    write_json,
)

GOAL = 0.5
FIRST = date(2024, 1, 1)
LAST_EXCLUSIVE = date(2025, 1, 1)
EXPORT_COLUMNS = {
    "id": "BIGINT", "source": "VARCHAR", "callid": "VARCHAR", "queue": "VARCHAR",
    "entered_at": "TIMESTAMP", "outcome": "VARCHAR", "wait_s": "DOUBLE",
    "ended_at": "TIMESTAMP", "talk_s": "DOUBLE", "agent": "VARCHAR",
    "caller_hash": "VARCHAR", "ring_no_answer": "INTEGER",
}  # fmt: skip
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Key = tuple[str, str, datetime]  # (target id, scope, window start UTC)
Figure = tuple[float | None, int]  # (value, volume)


def build_store(url: str, log: Path) -> None:
    from servicelevel.collectors.queue_log.importer import import_file
    from servicelevel.config import load_targets
    from servicelevel.context import rollup_spec
    from servicelevel.store.engine import make_engine

    engine = make_engine(url)
    try:
        result = import_file(engine, log, rollup_spec(load_targets(TARGETS).unwrap()))
        assert result.balanced and result.quarantined == 0, result.summary()
    finally:
        engine.dispose()


def export_parquet(url: str, out: Path) -> int:
    """The raw calls table as a Parquet file (what an analyst would be handed)."""
    import duckdb
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    con = duckdb.connect()
    names = ", ".join(EXPORT_COLUMNS)
    try:
        con.execute(
            "CREATE TABLE calls ("
            + ", ".join(f"{name} {kind}" for name, kind in EXPORT_COLUMNS.items())
            + ")"
        )
        rows = 0
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"SELECT {names} FROM calls ORDER BY id")
            while part := cursor.fetchmany(200_000):
                frame = pd.DataFrame(list(zip(*part, strict=True)), index=list(EXPORT_COLUMNS)).T
                for column in ("entered_at", "ended_at"):
                    frame[column] = pd.to_datetime(frame[column])  # naive UTC, as stored
                con.register("part", frame)
                con.execute(f"INSERT INTO calls SELECT {names} FROM part")
                con.unregister("part")
                rows += len(frame)
        finally:
            raw.close()
        con.execute(f"COPY calls TO '{out}' (FORMAT parquet)")
    finally:
        con.close()
        engine.dispose()
    return rows


# --- ours ---------------------------------------------------------------------------------


def ours(url: str) -> dict[Key, Figure]:
    from servicelevel.config import load_targets
    from servicelevel.evaluate import evaluate_range
    from servicelevel.store.engine import make_engine

    targets = load_targets(TARGETS).unwrap()
    engine = make_engine(url, upgrade=False)
    try:
        statuses = evaluate_range(engine, targets, FIRST, LAST_EXCLUSIVE)
    finally:
        engine.dispose()
    return {(s.target.id, s.scope, s.window.start): (s.kpi.value, s.kpi.volume) for s in statuses}


# --- the DuckDB reference -----------------------------------------------------------------


def _hours_rows(targets: Any) -> list[tuple[int, int, int]]:
    """(ISO weekday, opening second, closing second) of every open day."""
    hours = targets.business_hours
    out = []
    for number, name in enumerate(DAYS, start=1):
        pair = getattr(hours, name) if hours is not None else (time(0), time.max)
        if pair is None:
            continue
        opens, closes = pair
        close_s = 86_400 if closes == time.max else closes.hour * 3600 + closes.minute * 60
        out.append((number, opens.hour * 3600 + opens.minute * 60, close_s))
    return out


def _holidays(targets: Any) -> list[date]:
    import holidays as holidays_lib

    hours = targets.business_hours
    if hours is None or hours.holidays is None:
        return []
    calendar = holidays_lib.country_holidays(
        hours.holidays,
        subdiv=hours.subdivision,
        years=range(FIRST.year - 1, LAST_EXCLUSIVE.year + 1),
    )
    return sorted(calendar)


WINDOW_SQL = {
    "day": "day",
    "week": "day - CAST(isodow(day) - 1 AS INTEGER)",
    "month": "CAST(date_trunc('month', day) AS DATE)",
}


def reference(parquet: Path, targets: Any, threads: int | None = None) -> dict[Key, Figure]:
    """Every figure straight from the raw calls, with DuckDB."""
    import duckdb

    tz = targets.operation.timezone
    short = float(targets.operation.short_abandon_seconds)
    thresholds = sorted(targets.thresholds())
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("CREATE TABLE hours (dow INTEGER, open_s INTEGER, close_s INTEGER)")
        con.executemany("INSERT INTO hours VALUES (?, ?, ?)", _hours_rows(targets))
        con.execute("CREATE TABLE closed_days (day DATE)")
        holidays = _holidays(targets)
        if holidays:
            con.executemany("INSERT INTO closed_days VALUES (?)", [(d,) for d in holidays])
        within = ",\n".join(
            f"count(*) FILTER (outcome = 'answered' AND wait_s <= {t}) AS aw_{i},\n"
            f"count(*) FILTER (outcome = 'abandoned' AND wait_s <= {t}) AS bw_{i}"
            for i, t in enumerate(thresholds)
        )
        # One pass over the raw calls: counts per local day and queue, open intervals only.
        con.execute(
            f"""
            CREATE TABLE daily AS
            WITH c AS (
                SELECT queue, outcome, wait_s,
                       timezone('{tz}', timezone('UTC', entered_at)) AS local
                FROM read_parquet('{parquet}')
            ), slotted AS (
                SELECT queue, outcome, wait_s,
                       CAST(local AS DATE) AS day,
                       hour(local) * 3600 + (minute(local) // 15) * 900 AS slot_s
                FROM c
            )
            SELECT s.day, s.queue,
                   count(*) AS offered,
                   count(*) FILTER (outcome = 'answered') AS answered,
                   count(*) FILTER (outcome = 'abandoned') AS abandoned,
                   sum(wait_s) FILTER (outcome = 'answered') AS wait_sum,
                   max(wait_s) AS max_wait,
                   {within}
            FROM slotted s
            JOIN hours h ON h.dow = isodow(s.day) AND s.slot_s >= h.open_s AND s.slot_s < h.close_s
            WHERE NOT (s.outcome = 'abandoned' AND s.wait_s < {short})
              AND s.day NOT IN (SELECT day FROM closed_days)
            GROUP BY ALL
            """
        )
        figures: dict[Key, Figure] = {}
        for target in targets.targets:
            figures.update(_target_figures(con, target, thresholds))
    finally:
        con.close()
    return figures


def _target_figures(con: Any, target: Any, thresholds: list[float]) -> dict[Key, Figure]:
    window = WINDOW_SQL[target.window]
    scope = "queue" if target.per_queue else "'*'"
    where = ""
    if "*" not in target.queues:
        where = "WHERE queue IN (" + ", ".join(f"'{q}'" for q in target.queues) + ")"
    kpi = target.kpi
    if kpi == "service_level":
        i = thresholds.index(float(target.threshold_seconds))
        if target.abandons == "miss":
            num, den = f"sum(aw_{i})", "sum(offered)"
        elif target.abandons == "ignore":
            num, den = f"sum(aw_{i})", "sum(offered) - sum(abandoned)"
        else:
            num, den = f"sum(aw_{i}) + sum(bw_{i})", "sum(offered)"
        value = f"CASE WHEN {den} > 0 THEN CAST(100 * ({num}) AS DOUBLE) / ({den}) END"
        volume = f"greatest({den}, 0)"
    elif kpi == "abandon_rate":
        value = (
            "CASE WHEN sum(offered) > 0 "
            "THEN CAST(100 * sum(abandoned) AS DOUBLE) / sum(offered) END"
        )
        volume = "sum(offered)"
    elif kpi == "asa":
        value = "CASE WHEN sum(answered) > 0 THEN sum(wait_sum) / sum(answered) END"
        volume = "sum(answered)"
    elif kpi == "longest_wait":
        value = "CASE WHEN sum(offered) > 0 THEN max(max_wait) END"
        volume = "sum(offered)"
    else:
        raise ValueError(f"{kpi} is not a call KPI")
    rows = con.execute(
        f"""
        SELECT {window} AS window_day, {scope} AS scope, {value} AS value, {volume} AS volume
        FROM daily {where}
        GROUP BY ALL
        """
    ).fetchall()
    tz = _zone(target)
    return {
        (target.id, scope_, _local_midnight(day, tz)): (
            None if value_ is None else float(value_),
            int(volume_),
        )
        for day, scope_, value_, volume_ in rows
        if FIRST <= day < LAST_EXCLUSIVE
    }


_tz: Any = None


def _zone(_target: Any) -> Any:
    return _tz


def _local_midnight(day: date, tz: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


# --- comparing ----------------------------------------------------------------------------


def compare(mine: dict[Key, Figure], theirs: dict[Key, Figure]) -> list[str]:
    """Every key where the two disagree; a key missing on one side means no calls: (None, 0)."""
    differences = []
    for key in sorted(set(mine) | set(theirs), key=lambda k: (k[0], k[2], k[1])):
        a = mine.get(key, (None, 0))
        b = theirs.get(key, (None, 0))
        if a != b:
            differences.append(f"{key[0]} {key[1]} {key[2].isoformat()}: ours {a}, DuckDB {b}")
    missing = [k for k in theirs if k not in mine]
    if missing:
        differences.append(f"{len(missing)} figure(s) DuckDB found that ours did not list")
    return differences


def bench(
    url: str, parquet: Path, runs: int, threads: int | None, profile: bool = False
) -> dict[str, Any]:
    from servicelevel.config import load_targets

    global _tz
    targets = load_targets(TARGETS).unwrap()
    _tz = targets.operation.tz
    ours_times: list[float] = []
    ref_times: list[float] = []
    mine: dict[Key, Figure] = {}
    theirs: dict[Key, Figure] = {}
    for run in range(runs):
        took, mine = time_call(lambda: ours(url))
        ours_times.append(took)
        ref, theirs = time_call(lambda: reference(parquet, targets, threads))
        ref_times.append(ref)
        print(
            f"  run {run + 1}/{runs}: ours {fmt_s(took)}, DuckDB {fmt_s(ref)} ({took / ref:.2f}x)",
            flush=True,
        )
    differences = compare(mine, theirs)
    top = profiled(lambda: ours(url))[1] if profile else []  # an extra, untimed run
    ours_s, ref_s = median(ours_times), median(ref_times)
    return {
        "runs": runs,
        "figures": len(mine),
        "non_empty": sum(1 for v, _ in mine.values() if v is not None),
        "ours_s": ours_s,
        "duckdb_s": ref_s,
        "ours_runs_s": ours_times,
        "duckdb_runs_s": ref_times,
        "ratio": ours_s / ref_s,
        "goal": GOAL,
        "identical": not differences,
        "differences": differences[:20],
        "difference_count": len(differences),
        "profile": top,
    }


def report(result: dict[str, Any]) -> str:
    verdict = "ok" if result["ratio"] <= result["goal"] else "MISSED"
    same = "identical" if result["identical"] else f"{result['difference_count']} DIFFERENCES"
    return (
        f"evaluate {result['db']} ({result['calls']:,} calls): {result['figures']:,} figures "
        f"({result['non_empty']:,} with a value) for a year, median of {result['runs']}: "
        f"ours {fmt_s(result['ours_s'])}, DuckDB on raw calls {fmt_s(result['duckdb_s'])}: "
        f"{result['ratio']:.2f}x (goal <= {result['goal']}x: {verdict}); numbers {same}"
    )


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.engine import make_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, help="queue_log to import (default: generate one)")
    parser.add_argument("--calls", default="100k", help="calls to generate: 100k, 1M, 10M or N")
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", help="a PostgreSQL server to use (default: a throwaway one)")
    parser.add_argument("--store", help="an already imported store URL (default: import the log)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--workdir", type=Path, help="where to put the log, store and Parquet")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--profile", action="store_true",
                        help="an extra, untimed run of ours under cProfile")  # fmt: skip
    args = parser.parse_args(argv)
    calls = SCALES.get(args.calls) or int(args.calls)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="servicelevel-bench-"))
    with Databases(args.db, args.pg_url, workdir) as dbs:
        url = args.store
        if url is None:
            log = ensure_log(args.log, calls, args.queues, args.seed, workdir)
            url = dbs.fresh().url
            print(f"importing {log.name} into a fresh {args.db} store (untimed)...", flush=True)
            build_store(url, log)
        parquet = dbs.workdir / "calls.parquet"
        rows = export_parquet(url, parquet)
        print(f"exported {rows:,} raw calls to Parquet (untimed)", flush=True)
        result = bench(url, parquet, args.runs, args.threads, args.profile)
        result.update(db=make_url(url).get_backend_name(), calls=rows)
    print(report(result), flush=True)
    for line in result["differences"]:
        print("  differs:", line)
    write_json(args.json, {"evaluate": [result]})
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
