"""Commands that only read refuse a database that is not there, and create nothing.

A mistyped ``--db`` used to create an empty store (and its folders) and then report every
target as "no data", which the weekly email summed up as "all at or above minimum". Now
``status``, ``report weekly``, ``serve``, the ``quarantine`` listing and ``assessment show`` print
one line naming the database and what to run, exit 2, and leave the disk as it was; only
``import``, ``db upgrade``, ``demo``, ``assessment record`` (and ``worker``) create a database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from servicelevel.cli import main
from servicelevel.store import make_engine, upgrade_schema

ROOT = Path(__file__).resolve().parents[1]
TARGETS = str(ROOT / "targets.toml")
CREATE_FIRST = "run `servicelevel db upgrade` or `servicelevel import ...` first"

# Each read-only command, as a user types it (the database comes after).
READ_ONLY = {
    "status": ["status", "--targets", TARGETS],
    "report": ["report", "weekly", "--week", "2026-W47", "--targets", TARGETS],
    # An address nothing can bind: were the database accepted, serve fails at once, not hangs.
    "serve": ["serve", "--no-scheduler", "--host", "256.0.0.1", "--targets", TARGETS],
    "quarantine": ["quarantine"],
    "assessment": ["assessment", "show"],
}


def one_error_line(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_missing_sqlite_file_and_folder_are_refused_and_not_created(tmp_path, command):
    folder = tmp_path / "nonexistent" / "dir"
    url = f"sqlite:///{folder}/x.db"
    line = one_error_line([*READ_ONLY[command], "--db", url])
    assert line == (
        f"error: the database {url} does not exist (no folder {folder}); {CREATE_FIRST} "
        "(the URL comes from --db or $SERVICELEVEL_DB)"
    )
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_missing_sqlite_file_in_an_existing_folder_is_not_created(tmp_path, command):
    url = f"sqlite:///{tmp_path}/typo.db"
    line = one_error_line([*READ_ONLY[command], "--db", url])
    assert f"the database {url} does not exist (no such file); {CREATE_FIRST}" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READ_ONLY)
def test_an_empty_sqlite_file_is_refused_and_left_empty(tmp_path, command):
    path = tmp_path / "empty.db"
    path.touch()
    url = f"sqlite:///{path}"
    line = one_error_line([*READ_ONLY[command], "--db", url])
    assert line.startswith(f"error: the database {url} is empty (no tables); {CREATE_FIRST}")
    assert path.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("command", ["status", "report", "serve", "assessment"])
def test_an_empty_postgresql_database_is_refused(pg_url, command):
    line = one_error_line([*READ_ONLY[command], "--db", pg_url])
    assert line.startswith(f"error: the database {pg_url} is empty (no tables); {CREATE_FIRST}")
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:  # and nothing was created in it
            count = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            assert connection.execute(text(count)).scalar() == 0
    finally:
        engine.dispose()


def test_the_password_of_a_refused_database_is_hidden(pg_url):
    url = pg_url.replace("postgres@", "postgres:hunter2@")
    line = one_error_line([*READ_ONLY["status"], "--db", url])
    assert "hunter2" not in line and "postgres:***@" in line and "is empty" in line


def test_an_older_schema_is_refused_with_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url, upgrade=False)
    upgrade_schema(engine, "r0110_rollup_time_index")  # as an earlier release left it
    engine.dispose()
    line = one_error_line([*READ_ONLY["status"], "--db", url])
    assert "has an older schema (revision r0110_rollup_time_index" in line
    assert "run `servicelevel db upgrade` first" in line
    assert CliRunner().invoke(main, ["db", "upgrade", "--db", url]).exit_code == 0
    status = CliRunner().invoke(main, [*READ_ONLY["status"], "--db", url])
    assert status.exit_code == 0, status.output


def test_import_and_db_upgrade_still_create_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/new/folder/x.db"
    assert CliRunner().invoke(main, ["db", "upgrade", "--db", url]).exit_code == 0
    assert (tmp_path / "new" / "folder" / "x.db").is_file()
    status = CliRunner().invoke(main, [*READ_ONLY["status"], "--db", url])
    assert status.exit_code == 0, status.output


def test_a_real_process_refuses_a_typo_and_creates_nothing(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("SERVICELEVEL_DEBUG", "SERVICELEVEL_DB")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["SERVICELEVEL_DB"] = f"sqlite:///{tmp_path}/nonexistent/dir/x.db"  # from the environment
    done = subprocess.run(
        [sys.executable, "-m", "servicelevel", "report", "weekly", "--targets", TARGETS],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: the database sqlite:///{tmp_path}/nonexistent/dir/x.db")
    assert CREATE_FIRST in line and "$SERVICELEVEL_DB" in line
    assert list(tmp_path.iterdir()) == []
