"""Only finite numbers, and files of a sane size: nan, inf and a 30 MB targets.toml are refused,
located, by the loader, ``targets check`` and ``status`` alike (issue 11, findings 3 and 10)."""

from __future__ import annotations

import time
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from servicelevel.cli import main
from servicelevel.config import (
    BusinessHours,
    Operation,
    Target,
    Targets,
    load_targets,
    loading,
    parse_targets,
)
from servicelevel.config.delivery import AlertSettings, SmtpSettings, WeeklySettings

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "targets.toml").read_text(encoding="utf-8")
DATA = ROOT / "tests" / "data"

# (what is edited, the seed's line, its key path). The asa target is in seconds, where only
# "0 or more" was checked, so nan and inf used to slip through; service level's T likewise.
NUMBERS = [
    ("minimum = 60     # seconds at most", "minimum", "target[4].minimum"),
    ("ideal = 20       # seconds", "ideal", "target[4].ideal"),
    ("threshold_seconds = 20\n# How", "threshold_seconds", "target[1].threshold_seconds"),
    ("min_volume = 20  # answered calls", "min_volume", "target[4].min_volume"),
    ("minimum = 80     # %\nideal = 90       # %\nmin_volume = 20", "minimum", "target[1].minimum"),
    ("short_abandon_seconds = 5", "short_abandon_seconds", "operation.short_abandon_seconds"),
    ("stale_after_minutes = 15", "stale_after_minutes", "operation.stale_after_minutes"),
]
NOT_FINITE = ["nan", "inf", "-inf", "+inf", "-nan"]


def edited(old: str, key: str, value: str, text: str = SEED) -> str:
    assert text.count(old) == 1, f"seed should contain {old!r} exactly once"
    first, _, rest = old.partition("\n")
    assert first.startswith(f"{key} = ")
    return text.replace(old, "\n".join([f"{key} = {value}", *([rest] if rest else [])]))


@pytest.mark.parametrize("value", NOT_FINITE)
@pytest.mark.parametrize(("old", "key", "path"), NUMBERS, ids=[n[2] for n in NUMBERS])
def test_a_number_that_is_not_finite_is_refused_at_its_line(old, key, path, value):
    text = edited(old, key, value)
    result = parse_targets(text)
    assert not result.ok and result.targets is None
    (issue,) = result.errors
    assert issue.key == path
    assert issue.line == text.splitlines().index(f"{key} = {value}") + 1
    assert value.lstrip("+-") in issue.message and "number" in issue.message, issue.message


def _float_fields(model: type[BaseModel]) -> set[str]:
    def floats(annotation: typing.Any) -> bool:
        return annotation is float or float in typing.get_args(annotation)

    return {name for name, info in model.model_fields.items() if floats(info.annotation)}


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Operation, {"short_abandon_seconds", "stale_after_minutes"}),
        (Target, {"threshold_seconds", "minimum", "ideal"}),
        (SmtpSettings, {"timeout_seconds"}),
        (AlertSettings, {"hold_minutes", "recovery_margin", "check_every_minutes"}),
        (BusinessHours, set()),
        (Targets, set()),
        (WeeklySettings, set()),
    ],
)
def test_every_model_refuses_nan_and_inf_in_all_its_float_fields(model, fields):
    """The rule sits on the models' shared config, so a float field added later is covered."""
    assert model.model_config.get("allow_inf_nan") is False
    assert _float_fields(model) == fields
    for name in fields:
        with pytest.raises(ValueError, match="finite number"):
            model.__pydantic_validator__.validate_assignment(
                model.model_construct(), name, float("nan")
            )


@pytest.mark.parametrize(
    ("table", "key"),
    [("alerts", "hold_minutes"), ("alerts", "recovery_margin"), ("alerts", "check_every_minutes")],
)
def test_targets_check_refuses_a_delivery_number_that_is_not_finite(tmp_path, table, key):
    path = tmp_path / "targets.toml"
    path.write_text(SEED + f"\n[{table}]\n{key} = inf\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{table}.{key}" in result.output and "inf" in result.output


def test_a_number_too_big_for_a_float_or_for_toml_is_refused():
    huge = "1" + "0" * 400
    issue = parse_targets(edited("minimum = 60     # seconds at most", "minimum", huge)).errors
    assert [i.key for i in issue] == ["target[4].minimum"]
    over = str(2**63)  # TOML integers are 64-bit: another reader could not load this file
    issue = parse_targets(edited("min_volume = 20  # answered calls", "min_volume", over)).errors
    assert [i.key for i in issue] == ["target[4].min_volume"]
    biggest = str(2**63 - 1)
    assert parse_targets(edited("min_volume = 20  # answered calls", "min_volume", biggest)).ok


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_targets_check_exits_2_with_the_located_message(tmp_path, value):
    path = tmp_path / "targets.toml"
    text = edited("minimum = 60     # seconds at most", "minimum", value)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2, result.output
    line = text.splitlines().index(f"minimum = {value}") + 1
    assert f"{path}:{line}: target[4].minimum:" in result.output
    assert f"got {value}" in result.output


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("minimum = 60\n", "minimum = nan\n"),
        ("ideal = 20\n", "ideal = nan\n"),
        ("threshold_seconds = 20\n", "threshold_seconds = nan\n"),
        ("threshold_seconds = 20\n", "threshold_seconds = inf\n"),
        ("minimum = 300\n", "minimum = inf\n"),
    ],
)
def test_status_stops_with_the_located_error_and_never_crashes(tmp_path, sqlite_url, old, new):
    good = (DATA / "targets_paris.toml").read_text(encoding="utf-8")
    log, paris = str(DATA / "queue_log_paris"), str(DATA / "targets_paris.toml")
    imported = CliRunner().invoke(
        main,
        [
            "import",
            "asterisk-queue-log",
            log,
            "--db",
            sqlite_url,
            "--targets",
            paris,
            "--no-progress",
        ],
    )
    assert imported.exit_code == 0, imported.output
    path = tmp_path / "targets.toml"
    path.write_text(good.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["status", "--db", sqlite_url, "--targets", str(path), "--at", "2026-11-23T18:00"]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"{path}:" in result.output and new.split(" = ")[1].strip() in result.output


# --- the size limit -----------------------------------------------------------------------


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_a_30_mb_file_is_refused_at_once_without_being_read(tmp_path):
    path = _sparse(tmp_path / "targets.toml", 30 * 1024 * 1024)
    started = time.perf_counter()
    result = load_targets(path)
    assert time.perf_counter() - started < 0.5
    assert result.targets is None
    assert [str(e) for e in result.errors] == [f"{path}: file is 30.0 MiB; the limit is 1 MiB"]


def test_targets_check_reports_the_size_limit(tmp_path):
    path = _sparse(tmp_path / "targets.toml", 3 * 1024 * 1024 + 200_000)
    result = CliRunner().invoke(main, ["targets", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}: file is 3.2 MiB; the limit is 1 MiB" in result.output


def test_a_file_at_the_limit_loads_and_one_byte_more_is_refused(tmp_path):
    assert loading.MAX_TARGETS_BYTES == 1024 * 1024
    comment = "# " + "x" * 97 + "\n"
    padding = comment * ((loading.MAX_TARGETS_BYTES - len(SEED.encode())) // len(comment))
    text = SEED + padding
    text += "#" * (loading.MAX_TARGETS_BYTES - len(text.encode()) - 1) + "\n"
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size == loading.MAX_TARGETS_BYTES
    assert load_targets(path).ok
    path.write_text(text + "#", encoding="utf-8")
    (issue,) = load_targets(path).errors
    assert issue.line is None
    assert issue.message == "file is 1,048,577 bytes; the limit is 1 MiB (1,048,576 bytes)"


def test_text_over_the_limit_is_refused_by_the_parser_too():
    (issue,) = parse_targets(SEED + "#" * loading.MAX_TARGETS_BYTES).errors
    assert issue.file == "targets.toml" and "the limit is 1 MiB" in issue.message


def test_the_limit_is_documented():
    docs = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    assert "1 MiB" in docs


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_bad_byte(tmp_path):
    """Found by tests/fuzz/test_fuzz_targets.py: every other issue has a line, this one had only
    a byte offset, which no editor shows."""
    path = tmp_path / "targets.toml"
    path.write_bytes(SEED.encode("utf-8") + b"# caf\xe9\n")
    [issue] = load_targets(path).errors
    assert issue.line == SEED.count("\n") + 1
    assert str(issue).startswith(f"{path}:{issue.line}: not UTF-8 text")


def test_a_key_given_twice_is_refused_at_a_line(tmp_path):
    """Found by tests/fuzz/test_fuzz_targets.py: tomlkit names the key given twice, not where."""
    lines = SEED.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("id = "))
    path = tmp_path / "targets.toml"
    path.write_text("".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]), encoding="utf-8")
    [issue] = load_targets(path).errors
    assert issue.line == at + 2, str(issue)
    assert "already exists" in issue.message
