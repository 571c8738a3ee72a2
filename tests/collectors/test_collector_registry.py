"""A source kind is one registry entry: `import`, the scheduled runner, replay and `targets check`
reach a new one without an edit of theirs.

The kind below, ``calls-jsonl`` (one JSON object per line, read through a mapping like a CSV
row), exists only in this test: it is registered for the test's duration, then gone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.cli import collector_jobs, main
from servicelevel.collectors.base import Collector, location_issues
from servicelevel.collectors.mapped.records import RowMapper
from servicelevel.collectors.mapped.tabular import TabularImporter, replay_rows
from servicelevel.collectors.registry import COLLECTORS
from servicelevel.config import load_targets
from servicelevel.store import make_engine
from servicelevel.store.schema import Call, Quarantine, Source

ROOT = Path(__file__).resolve().parents[2]
KIND = "calls-jsonl"


class JsonLinesCalls:
    """``calls-jsonl``: the whole of a new kind, written against the Collector protocol."""

    name = KIND
    fact_kind = "calls"
    reads: Literal["file", "database"] = "file"
    mapped = True

    def import_file(self, engine, path, spec, *, default_tz, mapping, progress, batch_rows):
        return self._read(engine, path, mapping, spec, default_tz, f"{KIND}:{path.resolve()}")

    def run(self, engine, source, spec, *, default_tz, path, final, progress):
        return self._read(engine, path, source, spec, default_tz, source.name)

    def replay(self, engine, spec, name, items, *, default_tz, mapping):
        mapper = RowMapper(mapping, self.fact_kind, mapping.tz(default_tz), name)
        return replay_rows(engine, spec, name, self.name, mapper, items)

    def validate(self, source, where, mapping_where):
        return [*location_issues(self.reads, source, where), *source.issues("calls", mapping_where)]

    def _read(self, engine, path, mapping, spec, default_tz, name):
        mapper = RowMapper(mapping, self.fact_kind, mapping.tz(default_tz), name)
        importer = TabularImporter(engine, spec, name, self.name, mapper)
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            importer.add(f"{path.name}:{number}", json.loads(line))
        importer.flush(final=True)
        return importer.result


# The mapping knows "answered" and "abandoned"; the export also says "Handled" for an answered
# call, which it quarantines until the fixed mapping (below) says what "Handled" means.
MAPPING = """kind = "calls"
timezone = "UTC"
[columns]
callid = "id"
queue = "queue"
entered_at = "at"
wait_s = "wait"
[columns.outcome]
column = "result"
values = { answered = "answered", abandoned = "abandoned" }
"""
FIXED = MAPPING.replace(
    'abandoned = "abandoned" }', 'abandoned = "abandoned", Handled = "answered" }'
)
ROWS = [
    {"id": "j-1", "queue": "Bills", "at": "2026-03-02T09:00:00", "wait": 12, "result": "answered"},
    {"id": "j-2", "queue": "Bills", "at": "2026-03-02T09:01:00", "wait": 40, "result": "abandoned"},
    {"id": "j-3", "queue": "Sales", "at": "2026-03-02T09:02:00", "wait": 5, "result": "Handled"},
]  # fmt: skip


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Collector:
    collector = JsonLinesCalls()
    monkeypatch.setitem(COLLECTORS, KIND, collector)  # the only place the kind is declared
    return collector


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The example policy, a calls-jsonl export and its mapping."""
    (tmp_path / "calls.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (tmp_path / "jsonl.toml").write_text(MAPPING)
    shutil.copy(ROOT / "targets.toml", tmp_path / "targets.toml")
    return tmp_path


def _calls(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(Call)).scalar_one()
    engine.dispose()
    return count


def test_servicelevel_import_takes_a_registered_kind_and_replay_uses_its_collector(
    registered, site, sqlite_url
):
    runner = CliRunner()
    common = ["--db", sqlite_url, "--targets", str(site / "targets.toml")]
    imported = runner.invoke(
        main, ["import", KIND, str(site / "calls.jsonl"), "--mapping", str(site / "jsonl.toml"),
               *common],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert "read 3, stored 2, duplicates 0, quarantined 1" in imported.output
    assert _calls(sqlite_url) == 2
    no_mapping = runner.invoke(main, ["import", KIND, str(site / "calls.jsonl"), *common])
    assert no_mapping.exit_code == 2 and f"{KIND} needs --mapping FILE" in no_mapping.output

    (site / "fixed.toml").write_text(FIXED)
    replayed = runner.invoke(
        main, ["quarantine", "replay", "--mapping", str(site / "fixed.toml"), *common]
    )
    assert replayed.exit_code == 0, replayed.output
    assert "read 1, stored 1, duplicates 0, quarantined 0" in replayed.output
    assert _calls(sqlite_url) == 3
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        (row,) = session.execute(select(Quarantine)).scalars()
        assert row.replayed_at is not None
    engine.dispose()


def test_an_unregistered_kind_is_refused_with_the_registered_ones_listed(site, sqlite_url):
    result = CliRunner().invoke(main, ["import", KIND, str(site / "calls.jsonl")])
    assert result.exit_code == 2
    assert "asterisk-queue-log" in result.output and KIND not in result.output.split("not one")[1]


def test_the_scheduled_runner_and_targets_check_reach_a_registered_kind(
    registered, site, sqlite_url
):
    targets = site / "targets.toml"
    source = f'\n[[source]]\nname = "crm-calls"\nkind = "{KIND}"\nmapping = "jsonl.toml"\n'
    targets.write_text(targets.read_text() + source)
    missing = CliRunner().invoke(main, ["targets", "check", str(targets)])
    assert missing.exit_code == 2  # the collector's own check: a file kind needs a path
    assert f'source[1]: missing key "path": {KIND} reads a file' in missing.output

    targets.write_text(targets.read_text() + 'path = "calls.jsonl"\n')
    checked = CliRunner().invoke(main, ["targets", "check", str(targets)])
    assert checked.exit_code == 0, checked.output
    engine = make_engine(sqlite_url)
    (job,) = collector_jobs()
    (outcome,) = job.run(engine, load_targets(targets).unwrap())
    assert outcome.error is None and outcome.result is not None
    assert (outcome.result.stored, outcome.result.quarantined) == (2, 1)
    with Session(engine) as session:
        stored = session.execute(select(Source).where(Source.name == "crm-calls")).scalar_one()
    assert stored.collector == KIND and stored.last_ok_at is not None
    engine.dispose()
