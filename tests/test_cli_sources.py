"""The CLI wires the targets file's [[source]] tables into the scheduler and `targets check`."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.cli import collector_jobs, main
from servicelevel.config import load_targets
from servicelevel.store import make_engine
from servicelevel.store.schema import Call, Source

ROOT = Path(__file__).resolve().parents[1]
QUEUE_LOG = ROOT / "tests" / "data" / "queue_log_paris"


def _site(tmp_path: Path, sources: str) -> Path:
    """targets.toml = the repository's example policy + the given [[source]] tables."""
    shutil.copy(QUEUE_LOG, tmp_path / "queue_log")
    path = tmp_path / "targets.toml"
    path.write_text((ROOT / "targets.toml").read_text() + "\n" + sources)
    return path


def test_the_scheduled_collector_job_imports_every_configured_source(tmp_path, db_url):
    path = _site(
        tmp_path, '[[source]]\nname = "pbx"\nkind = "asterisk-queue-log"\npath = "queue_log"\n'
    )
    targets = load_targets(path).unwrap()
    engine = make_engine(db_url)
    (job,) = collector_jobs(every_seconds=5)
    job.run(engine, targets)
    with Session(engine) as session:
        calls = session.execute(select(func.count()).select_from(Call)).scalar_one()
        source = session.execute(select(Source)).scalar_one()
    # tests/data/README.md: queue_log_paris holds 11 calls (9 on Monday, 1 on a Sunday,
    # 1 on Bastille Day), every one resolved.
    assert calls == 11
    assert source.last_ok_at is not None and source.last_error is None
    job.run(engine, targets)  # the next run finds nothing new and adds nothing
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Call)).scalar_one() == 11
    engine.dispose()


def test_a_targets_file_without_sources_gives_a_job_that_does_nothing(tmp_path, sqlite_url):
    targets = load_targets(ROOT / "targets.toml").unwrap()
    engine = make_engine(sqlite_url)
    (job,) = collector_jobs()
    assert job.run(engine, targets) == []


def test_targets_check_reports_a_bad_source_with_its_line(tmp_path):
    path = _site(
        tmp_path, '[[source]]\nname = "pbx"\nkind = "asterisk-queue-logg"\npath = "queue_log"\n'
    )
    kind_line = path.read_text().splitlines().index('kind = "asterisk-queue-logg"') + 1
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"targets.toml:{kind_line}:" in result.output
    assert "asterisk-queue-log" in result.output and "did you mean" in result.output


def test_targets_check_reports_every_sections_errors_in_one_pass(tmp_path):
    # One mistake in a target, in [report], in [alerts] and in a [[source]]: the target's
    # error must not hide the others, so a person fixes the file in one go.
    path = _site(
        tmp_path,
        '[report.weekly]\nday = "mondey"\nto = ["boss@example.com"]\n\n'
        '[report.smtp]\nhost = "smtp.example.com"\nfrom = "sl@example.com"\n\n'
        '[alerts]\nhold_minuts = 5\ntargets = ["asap"]\n\n'
        '[[source]]\nname = "pbx"\nkind = "asterisk-queue-logg"\npath = "queue_log"\n',
    )
    path.write_text(path.read_text().replace('kpi = "abandon_rate"', 'kpi = "abandon_rat"'))
    lines = path.read_text().splitlines()

    def line(fragment: str) -> int:
        return next(n for n, text in enumerate(lines, 1) if text.startswith(fragment))

    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    shown = result.stderr.splitlines()
    kpi_line = line('kpi = "abandon_rat"')
    assert shown[0].startswith(f'{path}:{kpi_line}: target[3].kpi: unknown KPI "abandon_rat"')
    assert shown[1:4] == [
        f'{path}:{line("day = ")}: report.weekly.day: unknown day "mondey"; expected one of '
        'monday, tuesday, wednesday, thursday, friday, saturday, sunday (did you mean "monday"?)',
        f'{path}:{line("hold_minuts")}: alerts.hold_minuts: unknown key "hold_minuts"; expected '
        "one of to, webhook_url, targets, hold_minutes, hold_windows, recovery_margin, "
        'digest_after, check_every_minutes, burn_rate (did you mean "hold_minutes"?)',
        f'{path}:{line("targets = ")}: alerts.targets[1]: no target with id "asap" '
        '(did you mean "asa"?)',
    ]
    kind_line = line('kind = "asterisk')
    assert shown[4].startswith(f"{path}:{kind_line}: source[1].kind: ")
    assert "asterisk-queue-log" in shown[4] and "did you mean" in shown[4]
    assert shown[5:] == [f"{path}: 5 error(s)"]


def test_targets_check_of_a_file_that_is_not_toml_says_so_once(tmp_path):
    # A syntax error leaves nothing else to check: one line, not one per section.
    path = tmp_path / "targets.toml"
    path.write_text('[[target]]\nid = "x\n')
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 2, result.stderr
    assert result.stderr.splitlines()[1] == f"{path}: 1 error(s)"
