"""The CLI's one error boundary: a failure a person must fix is one line and exit code 2.

Tried both through click's CliRunner and as a real process (``python -m servicelevel``, the
console script's entry point), since a traceback is printed by Python, not by click.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from servicelevel.cli import main
from servicelevel.cli.options import one_line
from servicelevel.errors import DatabaseUnavailable

ROOT = Path(__file__).resolve().parents[1]
TARGETS = str(ROOT / "targets.toml")


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound once by us, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def one_error_line(result) -> str:
    """The single line of stderr, after checking exit code 2 and that nothing else came."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# --- the database ----------------------------------------------------------------------------


def test_an_unreachable_postgresql_server_is_one_line(closed_port):
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/x"
    line = one_error_line(cli("status", "--db", url, "--targets", TARGETS))
    assert line.startswith(
        f"error: cannot open the database postgresql+psycopg://nobody@127.0.0.1:{closed_port}/x: "
    )
    assert "Connection refused" in line and "--db or $SERVICELEVEL_DB" in line


def test_postgres_urls_are_read_as_postgresql_and_never_show_the_password(closed_port):
    url = f"postgres://nobody:hunter2@127.0.0.1:{closed_port}/x"
    line = one_error_line(cli("status", "--db", url, "--targets", TARGETS))
    assert f"postgresql+psycopg://nobody:***@127.0.0.1:{closed_port}/x" in line
    assert "Connection refused" in line
    assert "hunter2" not in line


def test_an_unknown_database_names_what_is_expected():
    line = one_error_line(cli("status", "--db", "mongodb://h/x", "--targets", TARGETS))
    assert line == (
        'error: mongodb://h/x: unknown database "mongodb"; expected sqlite:///FILE or '
        "postgresql://USER@HOST/DATABASE (the URL comes from --db or $SERVICELEVEL_DB)"
    )


def test_a_database_whose_driver_is_not_installed_says_so():
    line = one_error_line(cli("db", "upgrade", "--db", "postgresql+nosuchdriver://h/x"))
    assert 'unknown database "postgresql+nosuchdriver"' in line


def test_text_that_is_not_a_url_is_one_line_and_hides_a_password():
    line = one_error_line(cli("db", "upgrade", "--db", "user:secret@db/servicelevel"))
    assert line.startswith('error: "user:***@db/servicelevel" is not a database URL; expected ')
    line = one_error_line(cli("db", "upgrade", "--db", "postgresql://user:s3cret@h:port/x"))
    assert line.startswith('error: "postgresql://user:***@h:port/x" is not a database URL')


def test_the_database_url_may_come_from_the_environment(closed_port):
    env = {"SERVICELEVEL_DB": f"postgresql://nobody@127.0.0.1:{closed_port}/x"}
    line = one_error_line(cli("db", "upgrade", env=env))
    assert "cannot open the database" in line and "Connection refused" in line


def test_a_sqlite_file_under_a_file_is_one_line(tmp_path):
    (tmp_path / "plain-file").write_text("not a folder")
    url = f"sqlite:///{tmp_path}/plain-file/sub/x.db"
    line = one_error_line(cli("status", "--db", url, "--targets", TARGETS))
    assert line.startswith(f"error: {url}: {tmp_path / 'plain-file'} is a file, not a folder")


def test_a_sqlite_file_in_a_folder_not_yet_made_does_not_traceback(tmp_path):
    # Never a traceback; that status refuses it (and creates nothing) is test_cli_read_only's.
    result = cli("status", "--db", f"sqlite:///{tmp_path}/new/dir/x.db", "--targets", TARGETS)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_a_lost_connection_mid_command_is_one_line():
    lost = OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly\n\tThis probably...")
    )
    assert one_line(lost) == (
        "error: the database failed: server closed the connection unexpectedly; This probably..."
    )


# --- files -----------------------------------------------------------------------------------


def test_a_missing_targets_file_says_how_to_name_another(tmp_path):
    missing = tmp_path / "nope.toml"
    line = one_error_line(
        cli("status", "--db", f"sqlite:///{tmp_path}/x.db", "--targets", str(missing))
    )
    assert line == f"{missing}: file not found (give --targets FILE or set $SERVICELEVEL_TARGETS)"


def test_a_missing_mapping_file_is_one_line(tmp_path):
    (tmp_path / "orders.csv").write_text("id,date\n1,2026-03-02\n")
    missing = tmp_path / "orders-mapping.toml"
    csv, db = str(tmp_path / "orders.csv"), f"sqlite:///{tmp_path}/x.db"
    args = ["import", "orders-csv", csv, "--mapping", str(missing), "--db", db]
    line = one_error_line(cli(*args, "--targets", TARGETS))
    assert line == f"{missing}: file not found"


def test_a_file_that_cannot_be_written_is_one_line(tmp_path):
    html = tmp_path / "no-such-folder" / "week.html"
    db = f"sqlite:///{tmp_path}/x.db"
    assert cli("db", "upgrade", "--db", db).exit_code == 0  # report only reads an existing store
    args = ["report", "weekly", "--week", "2026-W47", "--html", str(html)]
    line = one_error_line(cli(*args, "--db", db, "--targets", TARGETS))
    assert line == f"error: {html}: No such file or directory"


# --- --debug ---------------------------------------------------------------------------------


def test_debug_lets_the_traceback_through(closed_port):
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/x"
    result = cli("--debug", "status", "--db", url, "--targets", TARGETS)
    assert isinstance(result.exception, DatabaseUnavailable)
    assert isinstance(result.exception.__cause__, OperationalError)
    result = cli("status", "--db", url, "--targets", TARGETS, env={"SERVICELEVEL_DEBUG": "1"})
    assert isinstance(result.exception, DatabaseUnavailable)


# --- as a real process -----------------------------------------------------------------------


def run_servicelevel(*args: str, cwd: Path, debug: bool = False) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SERVICELEVEL_DEBUG", "SERVICELEVEL_DB")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if debug:
        env["SERVICELEVEL_DEBUG"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "servicelevel", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_real_process_prints_one_line_and_exits_2(tmp_path, closed_port, scheme):
    url = f"{scheme}://nobody@127.0.0.1:{closed_port}/x"
    done = run_servicelevel("status", "--db", url, "--targets", TARGETS, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: cannot open the database postgresql+psycopg://")
    assert done.stdout == ""


def test_a_real_process_with_missing_files_prints_one_line_each(tmp_path):
    db = f"sqlite:///{tmp_path}/x.db"
    done = run_servicelevel("status", "--db", db, "--targets", "nope.toml", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()) == (
        2, ["nope.toml: file not found (give --targets FILE or set $SERVICELEVEL_TARGETS)"]
    )  # fmt: skip
    (tmp_path / "orders.csv").write_text("id,date\n1,2026-03-02\n")
    done = run_servicelevel(
        "import", "orders-csv", "orders.csv", "--mapping", "gone.toml", "--db", db,
        "--targets", TARGETS, cwd=tmp_path,
    )  # fmt: skip
    assert (done.returncode, done.stderr.splitlines()) == (2, ["gone.toml: file not found"])


def test_a_real_process_with_a_sqlite_folder_not_yet_made_does_not_traceback(tmp_path):
    db = f"sqlite:///{tmp_path}/not/yet/x.db"
    done = run_servicelevel("status", "--db", db, "--targets", TARGETS, cwd=tmp_path)
    assert done.returncode in (0, 2) and "Traceback" not in done.stderr, done.stderr


def test_a_real_process_with_debug_prints_the_traceback(tmp_path, closed_port):
    url = f"postgresql://nobody@127.0.0.1:{closed_port}/x"
    done = run_servicelevel("status", "--db", url, "--targets", TARGETS, cwd=tmp_path, debug=True)
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "DatabaseUnavailable" in done.stderr
