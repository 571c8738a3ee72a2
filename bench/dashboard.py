"""The Live refresh and a one-year Trends view, timed through HTTP as the browser calls them.

A dashboard server runs in its own process on a store holding the generated year, served as
``serve`` serves it (waitress, 8 threads), with a trusted-proxy user header instead of a login.
Its clock starts on a busy weekday afternoon of that year and runs ``refresh_seconds`` times
faster than real time, so every real second is a new refresh tick and the rendered responses
must be rebuilt every second (ten times as often as on a real wall). The callbacks are found in
``/_dash-dependencies`` (no ids are assumed but the pages' own), and each client POSTs
``/_dash-update-component`` back to back, like the browser does but without its pauses.

Two kinds of figures: the latency each request saw (p50/p95, what a screen waits), and the
server's render time for a tick (evaluation + components + JSON, measured inside the server,
read from a bench-only ``/_bench-stats`` route). Requests mostly get a response rendered for the
tick (``dashboard/response_cache.py``); the render figures show what that sharing saves, and
the Live cost growth from 1M to 10M calls is judged on the render time, which no cache hides.

    python bench/dashboard.py --calls 1000000 --runs 5
"""

from __future__ import annotations

import argparse
import gzip
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
RENDER_SAMPLES = 10  # new-tick renders timed per view at the default 5 runs
SECONDS_PER_CONFIG = 10  # of load per (view, clients) at the default 5 runs: ten ticks


def serve(url: str, port: int, speed: float) -> None:
    """The server process: the real app, on a clock that starts in the generated year."""
    import flask

    from servicelevel.dashboard.app import create_app
    from servicelevel.dashboard.state import current
    from servicelevel.dashboard.wsgi import run_server
    from servicelevel.store.engine import make_engine

    engine = make_engine(url, upgrade=False)
    began = time.monotonic()

    def clock() -> datetime:
        from datetime import timedelta

        return CLOCK_START + timedelta(seconds=(time.monotonic() - began) * speed)

    app = create_app(engine, TARGETS, trusted_header=HEADER, clock=clock)

    def stats() -> flask.Response:
        state = current()
        return flask.jsonify(
            renders=state.responses.stats.renders,
            render_ms=state.responses.stats.render_ms,
            hits=state.responses.stats.hits,
            stale_hits=state.responses.stats.stale_hits,
        )

    app.server.add_url_rule("/_bench-stats", "bench-stats", stats)
    run_server(app, "127.0.0.1", port)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(base: str, path: str, body: dict[str, Any] | None = None, *, read: bool = True) -> Any:
    """One request as the browser makes it (gzip accepted). ``read=False`` (the timed load)
    takes the response's bytes without decoding them, as the latency a screen waits for."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    req.add_header(HEADER, "bench")
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept-Encoding", "gzip")
    with urllib.request.urlopen(req, timeout=120) as resp:
        raw = resp.read()
        if not read:
            return len(raw)
        if resp.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw or b"null")


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


def _load(base: str, body: dict[str, Any], clients: int, seconds: float) -> tuple[list[float], int]:
    """``clients`` threads asking back to back for ``seconds`` (several ticks, so renders for
    new ticks happen under the load); each request's latency."""
    times: list[float] = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    errors: list[Exception] = []

    def worker() -> None:
        mine = []
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                _request(base, "/_dash-update-component", body, read=False)
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


def _renders(base: str, body: dict[str, Any], samples: int) -> list[float]:
    """The server's render time for ``samples`` new ticks, one client, nothing else running.

    Each round waits for the next tick, asks once (that request is served the previous tick's
    response and starts the render in the background) and waits until the render is done.
    """
    times = []
    for _ in range(samples):
        time.sleep(1.05)  # the clock runs refresh_seconds times faster: one tick per second
        before = _request(base, "/_bench-stats")["renders"]
        _request(base, "/_dash-update-component", body, read=False)
        deadline = time.monotonic() + 120
        while (stats := _request(base, "/_bench-stats"))["renders"] == before:
            if time.monotonic() > deadline:
                raise SystemExit("a render did not finish within 120 s")
            time.sleep(0.02)
        times.append(stats["render_ms"][-1] / 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def bench(url: str, runs: int) -> dict[str, Any]:
    import psutil

    from servicelevel.config import load_targets

    targets = load_targets(TARGETS).unwrap()
    port = _free_port()
    speed = float(targets.operation.refresh_seconds)
    # The user header counts only from a trusted proxy: the load comes from this machine.
    env = {
        **os.environ,
        "SERVICELEVEL_SECRET_KEY": "bench",
        "SERVICELEVEL_TRUSTED_PROXIES": "127.0.0.1",
    }
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
        for name, body in bodies.items():  # warm up: imports, first queries, page caches
            answer = _request(base, "/_dash-update-component", body)
            if not isinstance(answer, dict) or "response" not in answer:
                raise SystemExit(f"{name}: the callback did not answer as Dash does: {answer!r}")
        views = []
        for name, body in bodies.items():
            for clients in CLIENTS:
                before = _request(base, "/_bench-stats")
                times, failed = _load(base, body, clients, SECONDS_PER_CONFIG * runs / 5)
                after = _request(base, "/_bench-stats")
                renders = after["renders"] - before["renders"]
                render_ms = (
                    after["render_ms"][len(after["render_ms"]) - renders :] if renders else []
                )
                row = {
                    "view": name,
                    "clients": clients,
                    "requests": len(times) + failed,
                    "failed": failed,
                    "p50_ms": _pct(times, 0.5),
                    "p95_ms": _pct(times, 0.95),
                    "goal_ms": GOALS_MS.get(name),
                    "renders": renders,
                    "render_p50_ms": _pct([m / 1000 for m in render_ms], 0.5),
                    "render_p95_ms": _pct([m / 1000 for m in render_ms], 0.95),
                }
                print(
                    f"  {name:12} {clients:3} client(s): {row['requests']:4} requests "
                    f"({failed} failed), "
                    f"p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms; "
                    f"{renders} renders, p50 {row['render_p50_ms']:.0f} ms, "
                    f"p95 {row['render_p95_ms']:.0f} ms",
                    flush=True,
                )
                views.append(row)
        renders = {
            name: _renders(base, body, RENDER_SAMPLES * runs // 5) for name, body in bodies.items()
        }
        for name, times in renders.items():
            print(
                f"  {name:12} render for a new tick, quiet server: p50 {_pct(times, 0.5):.0f} ms, "
                f"p95 {_pct(times, 0.95):.0f} ms ({len(times)} renders)",
                flush=True,
            )
        rss = psutil.Process(server.pid).memory_info().rss / 1e6
    except Exception:
        print("server log (last lines):\n" + "\n".join(log.read_text().splitlines()[-40:]))
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "views": views,
        "rss_mb": rss,
        "renders": {
            name: {"p50_ms": _pct(t, 0.5), "p95_ms": _pct(t, 0.95), "count": len(t)}
            for name, t in renders.items()
        },
    }


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
        verdict = (
            ""
            if goal is None
            else f" (goal p95 < {goal} ms: " + ("ok)" if row["p95_ms"] < goal else "MISSED)")
        )
        print(f"dashboard {row['view']} x{row['clients']}: p95 {row['p95_ms']:.0f} ms{verdict}")
    print(f"dashboard serve resident memory: {result['rss_mb']:.0f} MB (goal < 400 MB)")
    write_json(args.json, {"dashboard": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
