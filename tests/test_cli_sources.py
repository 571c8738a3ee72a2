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
