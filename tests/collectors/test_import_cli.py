"""``servicelevel import`` and ``servicelevel quarantine`` as a user runs them (CliRunner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.cli import main
from servicelevel.store import make_engine
from servicelevel.store.schema import IngestRun, Source

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / ".." / "shared" / "data"
BANK = DATA / "anonymous-bank-callcentre-1day" / "calls_one_day.csv"
CFPB = DATA / "cfpb-consumer-complaints" / "Consumer_Complaints.csv"
TARGETS = """
[operation]
timezone = "Europe/Paris"

[[target]]
id = "sl"
name = "Answered within 20 s"
kpi = "service_level"
threshold_seconds = 20
minimum = 80
ideal = 90
"""
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data folder is missing")


@pytest.fixture
def site(tmp_path, db_url):
    (tmp_path / "targets.toml").write_text(TARGETS)
    return tmp_path, db_url


def invoke(site, *args: str):
    folder, url = site
    extra = ["--db", url]
    if args[0] == "import" or "replay" in args:
        extra += ["--targets", str(folder / "targets.toml")]
    return CliRunner().invoke(main, [*args, *extra])


@needs_data
def test_import_prints_the_accounting_of_each_file(site):
    result = invoke(
        site,
        "import",
        "calls-csv",
        str(BANK),
        "--mapping",
        str(REPO / "examples" / "anonymous-bank.toml"),
    )
    assert result.exit_code == 0, result.output
    assert "read 2375, stored 2239, duplicates 0, quarantined 136" in result.output
    assert "never queued, the caller hung up in the VRU) (118)" in result.output
    assert "see the rows and their reasons with: servicelevel quarantine" in result.output


@needs_data
def test_strict_exits_3_when_a_row_was_quarantined(site):
    mapping = str(REPO / "examples" / "anonymous-bank.toml")
    result = invoke(site, "import", "calls-csv", str(BANK), "--mapping", mapping, "--strict")
    assert result.exit_code == 3, result.output
    clean = invoke(
        site, "import", "complaints-csv", str(CFPB), "--strict",
        "--mapping", str(REPO / "examples" / "cfpb-complaints.toml"),
    )  # fmt: skip
    assert clean.exit_code == 0, clean.output
    assert "read 1000, stored 1000, duplicates 0, quarantined 0" in clean.output


def test_a_csv_kind_needs_a_mapping(site):
    result = invoke(site, "import", "orders-csv", "orders.csv")
    assert result.exit_code == 2
    assert "orders-csv needs --mapping FILE" in result.output


def test_a_missing_file_does_not_stop_the_others(site):
    folder, _ = site
    good = folder / "queue_log"
    good.write_text("1795000000|1.1|sales|NONE|ENTERQUEUE||0600000000|1\n"
                    "1795000010|1.1|sales|NONE|ABANDON|1|1|10\n")  # fmt: skip
    result = invoke(site, "import", "asterisk-queue-log", str(folder / "nothing"), str(good))
    assert result.exit_code == 1, result.output
    assert f"failed: {folder / 'nothing'}: no such file" in result.output
    assert "read 2, stored 2, duplicates 0, quarantined 0" in result.output


def test_a_mapping_error_is_shown_with_its_file_and_line(site):
    folder, _ = site
    bad = folder / "bad.toml"
    bad.write_text('kind = "orders"\n[columns]\nkey = "id"\nordred_at = "date"\n')
    (folder / "orders.csv").write_text("id,date\n1,2026-03-02\n")
    result = invoke(site, "import", "orders-csv", str(folder / "orders.csv"), "--mapping", str(bad))
    assert result.exit_code == 2  # a mistake in a file to fix, like the targets' (issue 17)
    assert (
        f"{bad}:4: columns.ordred_at: unknown field for orders"
        in str(result.exception) + result.output
    )


def test_quarantine_lists_reasons_and_replay_stores_rows_once_the_mapping_is_fixed(site):
    folder, url = site
    (folder / "orders.csv").write_text("id,date,qty\nO-1,2026-03-02,2\nO-2,02/03/2026,1\n")
    mapping = folder / "orders.toml"
    mapping.write_text(
        'kind = "orders"\n[columns]\nkey = "id"\nordered_at = "date"\nunits = "qty"\n'
    )
    imported = invoke(
        site, "import", "orders-csv", str(folder / "orders.csv"), "--mapping", str(mapping)
    )
    assert "read 2, stored 1, duplicates 0, quarantined 1" in imported.output

    listed = invoke(site, "quarantine", "--source", "orders.csv", "--unmasked")
    assert listed.exit_code == 0, listed.output
    assert (
        'orders.csv:3: ordered_at: "02/03/2026" in column date is not a date-time' in listed.output
    )
    assert '{"id": "O-2", "date": "02/03/2026", "qty": "1"}' in listed.output
    assert "1 row(s) in quarantine" in listed.output

    mapping.write_text(
        mapping.read_text().replace("[columns]", 'date_format = "%d/%m/%Y"\n[columns]')
    )
    replayed = invoke(
        site, "quarantine", "replay", "--source", "orders.csv", "--mapping", str(mapping)
    )
    assert replayed.exit_code == 0, replayed.output
    assert "read 1, stored 1, duplicates 0, quarantined 0" in replayed.output
    assert "0 row(s) in quarantine" in invoke(site, "quarantine").output
    engine = make_engine(url)
    with Session(engine) as session:
        runs = session.execute(select(IngestRun.collector).order_by(IngestRun.id)).scalars().all()
    engine.dispose()
    assert runs == ["orders-csv", "replay:orders-csv"]


def test_quarantine_lists_rows_masked_unless_asked_for_them_unmasked(site):
    folder, _url = site
    csv = folder / "calls.csv"
    # The caller's name and number landed in the wait column: the row is quarantined.
    csv.write_text(
        "id,queue,entered,outcome,wait,talk\n"
        "c-1,sales,2026-03-02 09:00:00,answered,Jane Roe +44 20 7946 0958,60\n"
    )
    mapping = folder / "calls.toml"
    mapping.write_text(
        'kind = "calls"\n[columns]\ncallid = "id"\nqueue = "queue"\nentered_at = "entered"\n'
        'outcome = "outcome"\nwait_s = "wait"\ntalk_s = "talk"\n'
    )
    assert invoke(site, "import", "calls-csv", str(csv), "--mapping", str(mapping)).exit_code == 0
    masked = invoke(site, "quarantine").output
    assert "1 row(s) in quarantine" in masked
    for secret in ("Jane", "Roe", "7946", "0958"):
        assert secret not in masked, masked
    assert "2026-03-02 09:00:00" in masked  # dates stay: they are what an editor needs
    unmasked = invoke(site, "quarantine", "--unmasked").output
    assert "Jane Roe +44 20 7946 0958" in unmasked


def test_import_sources_runs_the_sources_of_the_targets_file(site):
    folder, url = site
    (folder / "queue_log").write_text("1795000000|1.1|sales|NONE|ENTERQUEUE||0600000000|1\n")
    (folder / "orders.csv").write_text("id,date\nO-1,2026-03-02\n")
    (folder / "targets.toml").write_text(
        TARGETS
        + """
[[source]]
name = "pbx"
kind = "asterisk-queue-log"
path = "queue_log"

[[source]]
name = "shop"
kind = "orders-csv"
path = "orders.csv"
columns = { key = "id", ordered_at = "date" }

[[source]]
name = "gone"
kind = "returns-csv"
path = "returns.csv"
columns = { key = "id", returned_at = "date" }
"""
    )
    result = invoke(site, "import", "sources")
    assert result.exit_code == 1, result.output
    assert "pbx: read 1, stored 1" in result.output
    assert "shop: read 1, stored 1" in result.output
    assert "gone: failed:" in result.output
    engine = make_engine(url)
    with Session(engine) as session:
        sources = {s.name: s for s in session.execute(select(Source)).scalars()}
    engine.dispose()
    assert sources["shop"].last_ok_at is not None and sources["gone"].last_error
    only = invoke(site, "import", "sources", "shop")
    assert only.exit_code == 0 and "shop: read 0" in only.output
