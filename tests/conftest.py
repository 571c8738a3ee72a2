"""Test infrastructure shared by the whole suite.

* ``postgres_server`` (session): a throwaway PostgreSQL cluster on a free port of 127.0.0.1.
* ``pg_url`` / ``sqlite_url`` / ``db_url``: SQLAlchemy URLs of a fresh, empty database per test;
  ``db_url`` runs a test once per backend (ids ``sqlite`` and ``postgresql``).
* ``pytest_setup_options``: configures dash[testing]'s ``dash_duo`` for the Debian chromium
  package running headless (also as root, with the network closed).

When ``CI`` is ``true``/``1`` a missing PostgreSQL or Chromium fails the test; elsewhere it
skips with the reason. Keep feature-specific fixtures in the sub-folders' conftests.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1"}

PG_USER = "postgres"
PG_START_ATTEMPTS = 3
PG_READY_TIMEOUT = 60.0

# Flags for chromium: root needs --no-sandbox; the rest keep it headless and off the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1400,1000",
)

# selenium must use the system chromedriver and never try to download one. The selenium
# that dash[testing] allows has no selenium-manager and finds "chromedriver" on PATH; these
# variables keep newer selenium releases offline as well.
os.environ.setdefault("SE_OFFLINE", "true")
if _chromedriver := shutil.which("chromedriver"):
    os.environ.setdefault("SE_CHROMEDRIVER", _chromedriver)


def unavailable(reason: str) -> None:
    """Skip the current test because infrastructure is missing, or fail it under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must not skip this: install it in .ci/run)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------
# markers
# --------------------------------------------------------------------------------------------

_FIXTURE_MARKERS = {
    "postgres_server": "postgres",
    "pg_url": "postgres",
    "dash_duo": "browser",
    "dash_duo_mp": "browser",
    "dash_br": "browser",
}
BROWSER_FIXTURES = {name for name, marker in _FIXTURE_MARKERS.items() if marker == "browser"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the infrastructure they use, so ``-m "not browser"`` etc. just work."""
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            marker = _FIXTURE_MARKERS.get(fixture)
            if marker and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def find_pg_bindir() -> Path | None:
    """The directory holding initdb/pg_ctl: ``pg_config --bindir``, else the newest Debian one."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
            if out:
                candidates.append(Path(out))

    def version_key(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version_key, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway cluster; the superuser ``postgres`` connects without a password."""

    host: str
    port: int
    user: str
    bindir: Path
    datadir: Path
    socket_dir: Path

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``dbname`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string, for ``psycopg.connect``."""
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """Create a uniquely named empty database; yield its URL; drop it on exit."""
        import psycopg
        from psycopg import sql

        dbname = f"sl_test_{uuid.uuid4().hex[:16]}"
        name = sql.Identifier(dbname)
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield self.url(dbname)
        finally:
            _dispose_engines_on(dbname)
            with psycopg.connect(self.conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _dispose_engines_on(dbname: str) -> None:
    """Close the pooled connections of every engine a test left on ``dbname``.

    Why: many tests drop their engines without ``dispose()`` (CLI commands dispose theirs). An
    engine lives in reference cycles, so its pool's psycopg connections would be freed at a
    later garbage collection, maybe in another test, and psycopg's "deleted while still open"
    ResourceWarning would fail that test (warnings are errors). Engines the collector still
    tracks are found here and disposed before the database is dropped.
    """
    import gc

    from sqlalchemy import Engine

    for obj in gc.get_objects():
        if isinstance(obj, Engine) and obj.url.database == dbname:
            obj.dispose()


class _Cluster:
    """initdb + pg_ctl, run as the unprivileged ``postgres`` user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(PG_USER)
            except KeyError:
                unavailable(f"running as root but there is no {PG_USER!r} user to run PostgreSQL")
            if not shutil.which("runuser"):
                unavailable("running as root but 'runuser' is missing (util-linux)")
        self.root = Path(tempfile.mkdtemp(prefix="servicelevel-pg-"))
        if self.as_root:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"

    def run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        # stdout/stderr go to a file, not a pipe: the postmaster must not hold our pipe open.
        with tempfile.TemporaryFile(mode="w+") as out:
            proc = subprocess.run(
                cmd,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
            out.seek(0)
            proc.stdout = out.read()
        return proc

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def initdb(self) -> None:
        proc = self.run(
            "initdb", "-D", str(self.datadir), "-A", "trust", "-U", PG_USER,
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.fail(f"initdb failed ({proc.returncode}):\n{proc.stdout}", pytrace=False)

    def start(self) -> int:
        errors = []
        for _ in range(PG_START_ATTEMPTS):  # the free port can be taken before we bind it
            port = _free_port()
            server_opts = (
                f"-k {self.root} -p {port} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            )
            proc = self.run(
                "pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile),
                "-o", server_opts, "-w", "-t", str(int(PG_READY_TIMEOUT)), "start",
                timeout=PG_READY_TIMEOUT + 30,
            )  # fmt: skip
            if proc.returncode == 0:
                return port
            errors.append(f"pg_ctl start on port {port}: {proc.stdout}\n{self.log_tail()}")
            self.stop()
        pytest.fail("could not start PostgreSQL:\n" + "\n".join(errors), pytrace=False)

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_until_ready(server: PostgresServer, timeout: float = PG_READY_TIMEOUT) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.conninfo(), connect_timeout=5) as conn:
                conn.execute("select 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL cluster for the session; yields a ``PostgresServer``."""
    bindir = find_pg_bindir()
    if bindir is None:
        unavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian "
            "'postgresql' package"
        )
    cluster = _Cluster(bindir)
    try:
        cluster.initdb()
        port = cluster.start()
        server = PostgresServer(
            host="127.0.0.1",
            port=port,
            user=PG_USER,
            bindir=bindir,
            datadir=cluster.datadir,
            socket_dir=cluster.root,
        )
        _wait_until_ready(server)
        yield server
    finally:
        cluster.stop()
        cluster.remove()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, uniquely named, empty database; dropped after the test."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLAlchemy URL of an SQLite file database in the test's own temporary directory."""
    return f"sqlite:///{tmp_path}/servicelevel.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL, once per backend: ids ``sqlite`` and ``postgresql``."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` (so once per backend), disposed after the test."""
    from servicelevel.store import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------------------------
# headless Chromium for dash[testing] (dash_duo, dash_br)
# --------------------------------------------------------------------------------------------

_chromium_profiles: list[Path] = []


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(autouse=True)
def _dash_server_on_a_free_port(request: pytest.FixtureRequest) -> None:
    """dash[testing] numbers its test servers 8050, 8051, ... in each process, so two pytest
    processes (xdist workers, or two runs on one machine) would meet on one port, and a browser
    could talk to the other's app. Each browser test's server takes a free port instead."""
    if BROWSER_FIXTURES & set(request.fixturenames):
        from dash.testing.application_runners import BaseDashRunner

        BaseDashRunner._next_port = _free_port()


def pytest_setup_options():
    """dash[testing] hook: the webdriver options used by ``dash_duo`` and ``dash_br``.

    dash builds the driver with ``webdriver.Chrome(options=...)`` and no Service, so selenium
    launches the ``chromedriver`` found on PATH (Debian's ``chromium-driver``).
    """
    from selenium.webdriver.chrome.options import Options

    binary = os.environ.get("DASH_TEST_CHROMEPATH") or find_chromium()
    if not binary:
        unavailable("Chromium not found: install the Debian 'chromium' package")
    if not shutil.which("chromedriver"):
        unavailable("chromedriver not found on PATH: install the Debian 'chromium-driver' package")

    profile = Path(tempfile.mkdtemp(prefix="servicelevel-chromium-"))
    _chromium_profiles.append(profile)

    options = Options()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    return options


def pytest_unconfigure(config: pytest.Config) -> None:
    while _chromium_profiles:
        shutil.rmtree(_chromium_profiles.pop(), ignore_errors=True)
