"""``servicelevel targets check`` (servicelevel.cli.maintenance), issue 12 finding 7: warnings
pass unless --strict, and --db warns about listed queues the database has never seen, reading
it only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from servicelevel.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
PARIS = (DATA / "targets_paris.toml").read_text(encoding="utf-8")
PER_QUEUE = 'id = "sl-queue"\nname = "Answered within 20 s, per queue"\nkpi = "service_level"\n'


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def test_a_quoted_minimum_fails_the_check_at_its_line(runner, tmp_path):
    path = _write(tmp_path, PARIS.replace("minimum = 80\n", 'minimum = "80"\n', 1))
    result = runner.invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'{path}:{_line(path, "minimum = ")}: target[1].minimum: expected a number, got "80"; '
        "write minimum = 80, without quotes",
        f"{path}: 1 error(s)",
    ]


def test_a_fraction_for_a_percentage_warns_and_passes_unless_strict(runner, tmp_path):
    path = _write(
        tmp_path, PARIS.replace("minimum = 80\nideal = 90", "minimum = 0.8\nideal = 0.9", 1)
    )
    result = runner.invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: ok, 5 target(s), 1 warning(s)"
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"{path}:{_line(path, 'minimum = 0.8')}: warning: target[1].minimum:")
    assert "did you mean minimum = 80 and ideal = 90?" in warning

    strict = runner.invoke(main, ["targets", "check", "--strict", str(path)])
    assert strict.exit_code == 2
    assert strict.stderr.splitlines() == [warning, f"{path}: 0 error(s), 1 warning(s)"]


@pytest.fixture
def imported(runner, sqlite_url) -> str:
    """The Paris queue_log imported: its queues are sales and support."""
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False):
        result = runner.invoke(
            main,
            ["import", "asterisk-queue-log", str(DATA / "queue_log_paris"), "--db", sqlite_url,
             "--targets", str(DATA / "targets_paris.toml"), "--no-progress"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    return sqlite_url


def test_db_warns_about_a_queue_with_no_calls_and_passes_unless_strict(runner, tmp_path, imported):
    text = PARIS.replace(PER_QUEUE, PER_QUEUE + 'queues = ["salse", "support"]\n')
    path = _write(tmp_path, text)
    result = runner.invoke(main, ["targets", "check", str(path), "--db", imported])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f'{path}:{_line(path, "salse")}: warning: target[2].queues: queue "salse" has no calls '
        f'in {imported}; its known queues: sales, support (did you mean "sales"?)'
    ]
    assert runner.invoke(main, ["targets", "check", str(path)]).exit_code == 0  # no --db: no look
    strict = runner.invoke(main, ["targets", "check", str(path), "--db", imported, "--strict"])
    assert strict.exit_code == 2


def test_db_that_does_not_exist_is_refused_and_not_created(runner, tmp_path):
    path = _write(tmp_path, PARIS)
    missing = tmp_path / "typo.db"
    result = runner.invoke(main, ["targets", "check", str(path), "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not missing.exists()
