"""The benchmark scripts still run, end to end, at a tiny scale (no timing is asserted).

Why here: bench/ holds scripts, not tests, and a script nobody runs rots. This runs them as a
user would (``python bench/<script>.py``) on 5 000 calls, so CI notices when a change to the
store, the collector or the evaluation breaks them, or makes our numbers differ from DuckDB's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
CALLS = "5000"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "queue_log"
    run("generate.py", "--calls", CALLS, "--queues", "8", "--seed", "3", "--out", str(out))
    return out


def test_the_generator_is_reproducible_by_seed(log: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    run("generate.py", "--calls", CALLS, "--queues", "8", "--seed", "3", "--out", str(again))
    assert again.read_bytes() == log.read_bytes()
    events = {line.split("|")[4] for line in log.read_text().splitlines()}
    assert {"ENTERQUEUE", "CONNECT", "ABANDON", "COMPLETEAGENT", "PAUSE"} <= events


def test_ingest_runs_on_sqlite(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    run("ingest.py", "--log", str(log), "--db", "sqlite", "--runs", "1", "--json", str(out))
    (result,) = json.loads(out.read_text())["ingest"]
    assert result["calls"] == int(CALLS)
    assert result["ours_s"] > 0 and result["raw_s"] > 0


def test_ingest_runs_on_postgresql(log: Path, tmp_path: Path, pg_url: str) -> None:
    out = tmp_path / "ingest.json"
    run(
        "ingest.py", "--log", str(log), "--db", "postgresql", "--pg-url", pg_url,
        "--runs", "1", "--json", str(out),
    )  # fmt: skip
    (result,) = json.loads(out.read_text())["ingest"]
    assert result["calls"] == int(CALLS)


def test_evaluation_gives_duckdbs_numbers(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "evaluate.json"
    run(
        "evaluate.py", "--log", str(log), "--runs", "1", "--threads", "1",
        "--workdir", str(tmp_path), "--json", str(out),
    )  # fmt: skip
    (result,) = json.loads(out.read_text())["evaluate"]
    assert result["identical"], result["differences"]
    assert result["non_empty"] > 0


def test_dashboard_serves_every_view_and_times_renders(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "dashboard.json"
    run(
        "dashboard.py", "--log", str(log), "--runs", "1",
        "--workdir", str(tmp_path), "--json", str(out),
    )  # fmt: skip
    result = json.loads(out.read_text())["dashboard"]
    views = {(r["view"], r["clients"]): r for r in result["views"]}
    assert set(views) == {(v, c) for v in ("live", "trends-year") for c in (1, 10, 50)}
    assert all(r["failed"] == 0 and r["requests"] >= r["clients"] for r in views.values())
    assert {name: r["count"] for name, r in result["renders"].items()} == {
        "live": 2,
        "trends-year": 2,
    }
    assert result["rss_mb"] > 0


def test_results_are_rendered_from_the_recorded_figures(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    run("run_all.py", "--render", "--out", str(out))
    text = out.read_text()
    assert "# Benchmark results" in text and "## Scale 10M" in text
