"""Run every benchmark at one scale and write bench/RESULTS.md from the figures they print.

    python bench/run_all.py --scale 1M

The scripts write their figures as JSON; this file only lays them out (every number in
RESULTS.md comes from a script of the same run, none is typed). One log is generated per run and
shared by the scripts; PostgreSQL runs in one throwaway cluster for the whole run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, SCALES, fmt_s, machine, throwaway_postgres

RECORDS = HERE / "results"


def _run(script: str, args: list[str], out: Path) -> dict[str, Any] | None:
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    print("$", " ".join(Path(c).name if c.startswith("/") else c for c in cmd), flush=True)
    proc = subprocess.run(cmd, check=False)
    if not out.exists():
        print(f"{script} failed (exit {proc.returncode}); its figures are missing", flush=True)
        return None
    data: dict[str, Any] = json.loads(out.read_text())
    data["exit_code"] = proc.returncode
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="100k")
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (medians)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["ingest", "evaluate", "dashboard"])  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="where logs and stores go (default: tmp)")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="a profiled run of ingest and evaluate (default: to 1M)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite RESULTS.md from bench/results/*.json")  # fmt: skip
    args = parser.parse_args(argv)
    if args.render:
        args.out.write_text(render_all())
        return 0
    calls = SCALES[args.scale]
    runs = args.runs
    workdir = Path(tempfile.mkdtemp(prefix="servicelevel-bench-", dir=args.workdir))
    began = time.perf_counter()

    sys.path.insert(0, str(HERE))
    from generate import generate

    log = workdir / f"queue_log_{args.scale}"
    gen_took = time.perf_counter()
    lines = generate(log, calls, args.queues, 1)
    gen_took = time.perf_counter() - gen_took
    print(f"generated {calls:,} calls ({lines:,} lines) in {fmt_s(gen_took)}", flush=True)

    common = ["--log", str(log), "--workdir", str(workdir)]
    profile = (
        ["--profile"] if (args.profile or (args.profile is None and calls <= 1_000_000)) else []
    )
    results: dict[str, Any] = {}
    with throwaway_postgres() as pg_url:
        if "ingest" not in args.skip:
            results["ingest"] = _run(
                "ingest.py",
                [*common, *profile, "--runs", str(runs), "--db", "both", "--pg-url", pg_url],
                workdir / "ingest.json",
            )  # fmt: skip
        if not {"evaluate", "dashboard"} <= set(args.skip):
            # One store (SQLite, the embedded default) for the evaluation and the dashboard.
            from evaluate import build_store

            store = f"sqlite:///{workdir / 'store.db'}"
            print("importing the log into the store read by evaluate and dashboard...", flush=True)
            build_store(store, log)
            common += ["--store", store]
        if "evaluate" not in args.skip:
            results["evaluate"] = _run(
                "evaluate.py", [*common, *profile, "--runs", str(runs)], workdir / "evaluate.json"
            )
        if "dashboard" not in args.skip:
            results["dashboard"] = _run(
                "dashboard.py", [*common, "--runs", str(runs)], workdir / "dashboard.json"
            )
    record = {
        "scale": args.scale, "calls": calls, "lines": lines, "queues": args.queues,
        "runs": runs, "gen_took": gen_took, "facts": machine(), "results": results,
        "finished": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    RECORDS.mkdir(exist_ok=True)
    (RECORDS / f"{args.scale}.json").write_text(json.dumps(record, indent=2))
    args.out.write_text(render_all())
    print(f"wrote {args.out} in {fmt_s(time.perf_counter() - began)}")
    failed = [k for k, v in results.items() if v is None or v.get("exit_code")]
    return 1 if failed else 0


def render_all() -> str:
    """RESULTS.md from every scale recorded in bench/results/, smallest first."""
    records = [
        json.loads((RECORDS / f"{scale}.json").read_text())
        for scale in SCALES
        if (RECORDS / f"{scale}.json").exists()
    ]
    parts = [
        "# Benchmark results",
        "",
        "Written by `python bench/run_all.py --scale <scale>` from the figures the scripts printed "
        "(kept in `bench/results/<scale>.json`); none is typed by hand. Each ratio divides our "
        "time by a baseline measured in the same run. What limits each figure: `bench/README.md`.",
        "",
    ]
    for record in records:
        parts.append(
            render(
                record["scale"], record["calls"], record["lines"], record["queues"],
                record["runs"], record["gen_took"], record["facts"], record["results"],
                record.get("finished", ""),
            )
        )  # fmt: skip
    parts.append(_growth(records))
    parts.append(_limits())
    return "\n".join(parts)


def _limits() -> str:
    """Why a figure is what it is: the section of bench/README.md kept by the engineers who
    profiled it, repeated here so RESULTS.md states each miss with its cause."""
    readme = (HERE / "README.md").read_text()
    marker = "## What limits the figures"
    return readme[readme.index(marker) :] if marker in readme else ""


def _live_cost(record: dict[str, Any]) -> float | None:
    dashboard = (record.get("results") or {}).get("dashboard")
    if not dashboard:
        return None
    # The render for a tick (evaluation + components + JSON) is the cost: sharing the rendered
    # response hides it from the latency, so growth is judged on the render itself.
    renders = dashboard["dashboard"].get("renders")
    if renders:
        return float(renders["live"]["p50_ms"])
    rows = [r for r in dashboard["dashboard"]["views"] if r["view"] == "live" and r["clients"] == 1]
    return rows[0]["p50_ms"] if rows else None


def _growth(records: list[dict[str, Any]]) -> str:
    costs = {r["scale"]: _live_cost(r) for r in records}
    small, large = costs.get("1M"), costs.get("10M")
    if not small or not large:
        return "Live cost growth 1M -> 10M: not measured (needs the dashboard at both scales).\n"
    verdict = "met" if large / small < 1.5 else "missed"
    return (
        "## Live cost growth\n\n"
        "Live render for a tick (evaluation, components, JSON; server side), p50: "
        f"{small:.0f} ms at 1M calls, {large:.0f} ms at 10M: "
        f"{large / small:.2f}x (goal < 1.5x: {verdict}).\n"
    )


def _profile(what: str, top: list[dict[str, Any]] | None) -> list[str]:
    """The profile behind a figure: top functions by own time in an extra, untimed run."""
    if not top:
        return []
    out = [
        f"Profile of {what} (an extra run under cProfile, which slows it; top functions by own "
        "time, share of the profiled run):",
        "",
        "| function | calls | own time | share |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| `{p['function']}` | {p['calls']:,} | {fmt_s(p['own_s'])} | {p['share']:.0%} |"
        for p in top
    ]
    return [*out, ""]


def render(
    scale: str,
    calls: int,
    lines: int,
    queues: int,
    runs: int,
    gen_took: float,
    facts: dict[str, str],
    results: dict[str, Any],
    finished: str = "",
) -> str:
    out = [
        f"## Scale {scale}",
        "",
        f"Run finished {finished[:16].replace('T', ' ')} UTC. Times are medians of {runs} run(s)"
        + (" (a single run at this scale: one import takes many minutes)." if runs == 1 else "."),
        "",
        "### Machine",
        "",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "- PostgreSQL runs in a throwaway local cluster (the test suite's recipe: fsync, "
        "full_page_writes and synchronous_commit off) for both our import and the baseline.",
        "",
        "### Data",
        "",
        f"- {calls:,} calls over one year (2024, Europe/Paris), {queues} queues, "
        f"{lines:,} queue_log lines, seed 1",
        f"- generation: {fmt_s(gen_took)} ({lines / gen_took:,.0f} lines/s)",
        "",
    ]
    ingest = results.get("ingest")
    if ingest:
        out += [
            "### Ingest: our import vs a raw bulk insert of the same rows",
            "",
            "| database | calls + events | ours | rows/s | raw insert | rows/s | ratio | goal |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in ingest["ingest"]:
            verdict = "met" if r["ratio"] <= r["goal"] else "missed"
            raw_how = "executemany" if r["db"] == "sqlite" else "COPY"
            out.append(
                f"| {r['db']} | {r['calls']:,} + {r['events']:,} | {fmt_s(r['ours_s'])} | "
                f"{r['ours_rows_per_s']:,.0f} | {fmt_s(r['raw_s'])} ({raw_how}) | "
                f"{r['raw_rows_per_s']:,.0f} | {r['ratio']:.2f}x | <= {r['goal']}x: {verdict} |"
            )
        out.append("")
        for r in ingest["ingest"]:
            out += _profile(f"our import on {r['db']}", r.get("profile"))
    evaluation = results.get("evaluate")
    if evaluation:
        r = evaluation["evaluate"][0]
        verdict = "met" if r["ratio"] <= r["goal"] else "missed"
        same = "identical" if r["identical"] else f"{r['difference_count']} differences"
        out += [
            "### Evaluation: every target, every window of a year, vs DuckDB on the raw calls",
            "",
            "| store | figures | ours | DuckDB (Parquet of raw calls) | ratio | goal | numbers |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| {r['db']} | {r['figures']:,} ({r['non_empty']:,} with a value) | "
            f"{fmt_s(r['ours_s'])} | {fmt_s(r['duckdb_s'])} | {r['ratio']:.2f}x | "
            f"<= {r['goal']}x: {verdict} | {same} |",
            "",
            *_profile("our evaluation", r.get("profile")),
        ]
    dashboard = results.get("dashboard")
    if dashboard:
        d = dashboard["dashboard"]
        out += [
            "### Dashboard: callbacks through HTTP, as the browser calls them",
            "",
            "Latency is what each request waited; a render is the server building a response "
            "for a tick (most requests get one already rendered for the tick; see "
            "`dashboard/response_cache.py`).",
            "",
            "| view | clients | requests (failed) | p50 | p95 | goal | renders | render p50 "
            "| render p95 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in d["views"]:
            goal = row.get("goal_ms")
            verdict = (
                ""
                if goal is None
                else (f"p95 < {goal} ms: {'met' if row['p95_ms'] < goal else 'missed'}")
            )
            renders = (
                f"{row['renders']} | {row['render_p50_ms']:.0f} ms | {row['render_p95_ms']:.0f} ms"
                if "renders" in row
                else "- | - | -"
            )
            out.append(
                f"| {row['view']} | {row['clients']} | {row['requests']} ({row['failed']}) | "
                f"{row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms | {verdict} | {renders} |"
            )
        out.append("")
        for view, r in (d.get("renders") or {}).items():
            out.append(
                f"- {view}: render for a new tick on a quiet server, p50 {r['p50_ms']:.0f} ms, "
                f"p95 {r['p95_ms']:.0f} ms ({r['count']} renders)"
            )
        out += [f"- `serve` resident memory after the runs: {d['rss_mb']:.0f} MB "
                f"(goal < 400 MB: {'met' if d['rss_mb'] < 400 else 'missed'})", ""]  # fmt: skip
    missing = [k for k, v in results.items() if v is None]
    if missing:
        out += [f"Not measured in this run (script failed): {', '.join(missing)}.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
