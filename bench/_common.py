"""What the benchmark scripts share: databases made fresh per run, timing, machine facts, output.

Why fresh databases: every timed run starts from an empty, migrated store, exactly as a first
import does, so runs are comparable and a run never profits from the previous one's pages.
PostgreSQL runs in a throwaway cluster started with the recipe of the test suite (same settings
for our import and for the baseline, so the ratio is fair) unless a URL is given.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGETS = HERE / "targets.toml"
SCALES = {"5k": 5_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}


def median(values: list[float]) -> float:
    return float(statistics.median(values))


class Stopwatch:
    """Adds up only the timed parts, so untimed preparation can sit between them."""

    def __init__(self) -> None:
        self.total = 0.0

    @contextlib.contextmanager
    def timed(self) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.total += time.perf_counter() - began


def profiled(fn: Callable[[], Any], top: int = 12) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``fn`` once under cProfile: its result, and the ``top`` functions by own time with
    their share of the run (what RESULTS.md shows as "the profile that shows it").

    A profiled run is slower than a timed one, so it is an extra run, never one of the timed.
    Functions are named by package-relative file, never by a path of this machine.
    """
    import cProfile
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(fn)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values()) or 1.0
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    rows = []
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in ranked:
        parts = Path(file).parts
        where = "/".join(parts[-2:]) if len(parts) > 1 else file
        rows.append({
            "function": f"{where}:{line}({name})" if line else name,
            "calls": calls, "own_s": own, "cumulative_s": cumulative, "share": own / total,
        })  # fmt: skip
    return result, rows


def time_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


# --- databases ---------------------------------------------------------------------------


@dataclass
class Database:
    kind: str  # "sqlite" | "postgresql"
    url: str
    path: Path | None = None  # SQLite file


class Databases:
    """Hands out fresh, empty databases of one kind and removes them afterwards."""

    def __init__(self, kind: str, pg_url: str | None = None, workdir: Path | None = None):
        self.kind = kind
        self.workdir = Path(tempfile.mkdtemp(prefix="servicelevel-bench-", dir=workdir))
        self._stack = contextlib.ExitStack()
        self._pg_admin: str | None = None
        self.created: list[str] = []
        if kind == "postgresql":
            self._pg_admin = pg_url or self._stack.enter_context(throwaway_postgres())

    def fresh(self) -> Database:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            path = self.workdir / f"{name}.db"
            return Database("sqlite", f"sqlite:///{path}", path)
        import psycopg
        from sqlalchemy.engine import make_url

        assert self._pg_admin is not None
        admin = make_url(self._pg_admin)
        with psycopg.connect(_conninfo(self._pg_admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return Database("postgresql", admin.set(database=name).render_as_string(False))

    def drop(self, db: Database) -> None:
        if db.kind == "sqlite":
            assert db.path is not None
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg
        from sqlalchemy.engine import make_url

        name = make_url(db.url).database
        assert self._pg_admin is not None
        with psycopg.connect(_conninfo(self._pg_admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(str(name))

    def close(self) -> None:
        for name in list(self.created):
            with contextlib.suppress(Exception):
                self.drop(Database("postgresql", f"postgresql:///{name}"))
        self._stack.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database}
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def psycopg_conninfo(url: str) -> str:
    return _conninfo(url)


def _conftest() -> Any:
    """The test suite's PostgreSQL recipe (tests/conftest.py), loaded as a plain module."""
    path = REPO / "tests" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_servicelevel_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private PostgreSQL cluster; yield the URL of its ``postgres`` database."""
    recipe = _conftest()
    bindir = recipe.find_pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found")
    cluster = recipe._Cluster(bindir)
    try:
        cluster.initdb()
        port = cluster.start()
        server = recipe.PostgresServer(
            host="127.0.0.1", port=port, user=recipe.PG_USER, bindir=bindir,
            datadir=cluster.datadir, socket_dir=cluster.root,
        )  # fmt: skip
        recipe._wait_until_ready(server)
        yield server.url()
    finally:
        cluster.stop()
        cluster.remove()


# --- facts and output --------------------------------------------------------------------


def machine() -> dict[str, str]:
    import duckdb
    import sqlalchemy

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    import sqlite3

    return {
        "cpu": f"{cpu} x {os.cpu_count()}",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "duckdb": duckdb.__version__,
    }


def postgres_version() -> str:
    try:
        recipe = _conftest()
        bindir = recipe.find_pg_bindir()
        if bindir is None:
            return "not installed"
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30
        )
        found = re.search(r"\(PostgreSQL\) (\S+)", out.stdout)  # "postgres (PostgreSQL) 15.4 ..."
        return found.group(1) if found else out.stdout.strip() or "unknown"
    except Exception:  # only a label in the report
        return "unknown"


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2, default=str))


def ensure_log(path: Path | None, calls: int, queues: int, seed: int, workdir: Path) -> Path:
    """The queue_log to use: the one given, or one generated into ``workdir``."""
    if path is not None:
        return path
    sys.path.insert(0, str(HERE))
    from generate import generate

    out = workdir / f"queue_log_{calls}_{queues}_{seed}"
    if not out.exists():
        generate(out, calls, queues, seed)
    return out


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
