"""The Live refresh and a one-year Trends view, timed through HTTP as the browser calls them.

A dashboard server runs in its own process on a store holding the generated year (as ``serve``
does, with a trusted-proxy user header instead of a login). Its clock starts on a busy weekday
afternoon of that year and runs ``refresh_seconds`` times faster than real time, so every real
second is a new Live tick: the first request of a tick computes, the others share its result, as
on a wall of screens. The callbacks are found in ``/_dash-dependencies`` (no ids are assumed but
the pages' own), and each client POSTs ``/_dash-update-component`` like the browser does.

    python bench/dashboard.py --calls 1000000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SCALES, TARGETS, Databases, ensure_log, write_json

HEADER = "X-Bench-User"
CLOCK_START = datetime(2024, 6, 13, 13, 0, tzinfo=UTC)  # a Thursday, 15:00 in Paris
CLIENTS = (1, 10, 50)
GOALS_MS = {"live": 150, "trends-year": 500}
REQUESTS_PER_CLIENT = 20


def serve(url: str, port: int, speed: float) -> None:
    """The server process: the real app, on a clock that starts in the generated year."""
    from servicelevel.dashboard.app import create_app

    from servicelevel.store.engine import make_engine

    engine = make_engine(url, upgrade=False)
    began = time.monotonic()

    def clock() -> datetime:
        from datetime import timedelta

        return CLOCK_START + timedelta(seconds=(time.monotonic() - began) * speed)

    app = create_app(engine, TARGETS, trusted_header=HEADER, clock=clock)
    app.run(host="127.0.0.1", port=port, debug=False, threaded=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    req.add_header(HEADER, "bench")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read() or b"null")


def _find(dependencies: list[dict[str, Any]], output_id: str) -> dict[str, Any]:
    for dep in dependencies:
        if f"{output_id}." in dep["output"]:
            return dep
    raise SystemExit(f"no callback with output {output_id!r}: is the dashboard ready?")


def _payload(dep: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    inputs = [
        {
            "id": i["id"],
            "property": i["property"],
            "value": values.get(f"{i['id']}.{i['property']}"),
        }
        for i in dep["inputs"]
    ]
    outputs = [
        {"id": o.split(".")[0], "property": o.split(".")[1]}
        for o in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        "state": [{"id": s["id"], "property": s["property"]} for s in dep.get("state", [])],
    }


def _load(
    base: str, body: dict[str, Any], clients: int, per_client: int
) -> tuple[list[float], int]:
    times: list[float] = []
    lock = threading.Lock()
    errors: list[Exception] = []

    def worker() -> None:
        mine = []
        for _ in range(per_client):
            began = time.perf_counter()
            try:
                _request(base, "/_dash-update-component", body)
            except urllib.error.HTTPError as exc:  # counted and reported as failed requests
                with lock:
                    errors.append(exc)
                continue
            mine.append(time.perf_counter() - began)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, len(errors)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def bench(url: str, runs: int) -> dict[str, Any]:
    import psutil

    from servicelevel.config import load_targets

    targets = load_targets(TARGETS).unwrap()
    port = _free_port()
    speed = float(targets.operation.refresh_seconds)
    env = {**os.environ, "SERVICELEVEL_SECRET_KEY": "bench"}
    log = Path(tempfile.mkstemp(prefix="servicelevel-bench-serve-", suffix=".log")[1])
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, "--port", str(port), "--speed", str(speed)],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                dependencies = _request(base, "/_dash-dependencies")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the dashboard server did not start") from None
                time.sleep(0.5)
        live = _find(dependencies, "live-body")
        trends = _find(dependencies, "trends-graph")
        first_sl = next(t for t in targets.targets if t.kpi == "service_level" and t.per_queue)
        bodies = {
            "live": _payload(live, {"live-tick.n_intervals": 1}),
            "trends-year": _payload(
                trends,
                {
                    "trends-target.value": first_sl.id,
                    "trends-queues.value": ["*"],
                    "trends-split.value": "together",
                    "trends-granularity.value": "day",
                    "trends-dates.start_date": "2024-01-01",
                    "trends-dates.end_date": "2024-12-31",
                },
            ),
        }
        for body in bodies.values():  # warm up: imports, first queries, page caches
            _request(base, "/_dash-update-component", body)
        views = []
        for name, body in bodies.items():
            for clients in CLIENTS:
                per_client = max(1, REQUESTS_PER_CLIENT * runs // 5 // clients)
                times, failed = _load(base, body, clients, per_client)
                row = {
                    "view": name,
                    "clients": clients,
                    "requests": len(times) + failed,
                    "failed": failed,
                    "p50_ms": _pct(times, 0.5),
                    "p95_ms": _pct(times, 0.95),
                    "goal_ms": GOALS_MS.get(name),
                }
                print(
                    f"  {name:12} {clients:3} client(s): {row['requests']:4} requests "
                    f"({failed} failed), "
                    f"p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms",
                    flush=True,
                )
                views.append(row)
        rss = psutil.Process(server.pid).memory_info().rss / 1e6
    except Exception:
        print("server log (last lines):\n" + "\n".join(log.read_text().splitlines()[-40:]))
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"views": views, "rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help="queue_log to import (default: generate one)")
    parser.add_argument("--calls", default="100k", help="calls to generate: 100k, 1M, 10M or N")
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", help="an already imported store URL (default: import the log)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.speed)
        return 0
    from evaluate import build_store

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="servicelevel-bench-"))
    with Databases("sqlite", None, workdir) as dbs:
        url = args.store
        if url is None:
            calls = SCALES.get(args.calls) or int(args.calls)
            log = ensure_log(args.log, calls, args.queues, args.seed, workdir)
            url = dbs.fresh().url
            print(f"importing {log.name} into a fresh sqlite store (untimed)...", flush=True)
            build_store(url, log)
        result = bench(url, args.runs)
    for row in result["views"]:
        goal = row["goal_ms"]
        verdict = "" if goal is None else f" (goal p95 < {goal} ms: " + (
            "ok)" if row["p95_ms"] < goal else "MISSED)"
        )
        print(f"dashboard {row['view']} x{row['clients']}: p95 {row['p95_ms']:.0f} ms{verdict}")
    print(f"dashboard serve resident memory: {result['rss_mb']:.0f} MB (goal < 400 MB)")
    write_json(args.json, {"dashboard": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
