"""``servicelevel staffing`` (servicelevel.cli.staffing) end to end: the figures, --json, and
bad options as one line with exit code 2, through CliRunner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from servicelevel.cli import main

EXAMPLE = ["--calls", "100", "--interval-minutes", "30", "--aht", "180", "--target", "80/20"]
KEYS = {
    "model",
    "calls",
    "interval_s",
    "aht_s",
    "patience_s",
    "target_service_level_pct",
    "target_answer_within_s",
    "target_max_asa_s",
    "target_max_abandon_pct",
    "max_occupancy_pct",
    "shrinkage_pct",
    "traffic_erlangs",
    "agents_for_target",
    "agents",
    "scheduled",
    "service_level_pct",
    "asa_s",
    "occupancy_pct",
    "wait_probability_pct",
    "abandon_rate_pct",
}


def staffing(*args: str):
    return CliRunner().invoke(main, ["staffing", *args], prog_name="servicelevel")


def test_the_command_is_registered():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "staffing" in result.output


def test_json_gives_the_worked_example():
    result = staffing(*EXAMPLE, "--max-occupancy", "85", "--shrinkage", "30", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == KEYS
    assert out["model"] == "erlang_c"
    assert out["traffic_erlangs"] == 10.0
    assert (out["agents_for_target"], out["agents"], out["scheduled"]) == (14, 14, 20)
    assert round(out["service_level_pct"], 2) == 88.84
    assert round(out["asa_s"], 2) == 7.84
    assert round(out["occupancy_pct"], 2) == 71.43
    assert round(out["wait_probability_pct"], 2) == 17.41
    assert out["abandon_rate_pct"] is None
    assert (out["max_occupancy_pct"], out["shrinkage_pct"]) == (85.0, 30.0)


def test_patience_switches_to_erlang_a_with_its_abandon_rate():
    result = staffing(
        *EXAMPLE, "--patience", "300", "--max-abandon", "5", "--shrinkage", "30", "--json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"] == "erlang_a" and out["patience_s"] == 300.0
    assert (out["agents_for_target"], out["scheduled"]) == (13, 19)
    assert round(out["abandon_rate_pct"], 2) == 2.50
    assert round(out["service_level_pct"], 2) == 85.82
    assert out["target_max_abandon_pct"] == 5.0


def test_the_text_names_every_figure():
    result = staffing(*EXAMPLE, "--max-occupancy", "85", "--shrinkage", "30")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "10.00 Erlangs (100 calls x 180 s / 1800 s)" in text
    assert "agents for target     14  (80 % within 20 s)" in text
    assert "after occupancy cap   14  (max 85 %)" in text
    assert "scheduled             20  (shrinkage 30 %)" in text
    assert "service level       88.84 % within 20 s" in text
    assert "ASA                 7.84 s" in text
    assert "occupancy           71.43 %" in text
    assert "abandon rate" not in text  # Erlang C: nobody hangs up
    with_patience = staffing(*EXAMPLE, "--patience", "300").stdout
    assert "Erlang A" in with_patience and "abandon rate        2.50 %" in with_patience


def test_a_typed_decimal_percentage_is_read_as_that_decimal():
    """21 agents at 30 % shrinkage are 30 people (floats would say 30.000000000000004).
    20.5 Erlangs: 21 is the first count with a queue that empties, and meets 10/60."""
    result = staffing(
        "--calls", "20.5", "--interval-minutes", "1", "--aht", "60", "--target", "10/60",
        "--shrinkage", "30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["agents"] == 21 and out["scheduled"] == 30


BAD = [
    (["--target", "80"], "'--target': '80' is not PCT/SECONDS"),
    (["--target", "80/twenty"], "is not PCT/SECONDS"),
    (["--target", "100/20"], "the percentage must be above 0 and below 100"),
    (["--target", "0/20"], "the percentage must be above 0"),
    (["--target", "80/-5"], "the seconds must be 0 or more"),
    (["--target", "80/20", "--calls", "-3"], "'--calls': -3"),
    (["--target", "80/20", "--calls", "nan"], "'nan' is not a finite number"),
    (["--target", "80/20", "--max-occupancy", "0.85"], "'--max-occupancy': 0.85 is not in"),
    (["--target", "80/20", "--max-occupancy", "101"], "'--max-occupancy'"),
    (["--target", "80/20", "--shrinkage", "100"], "'--shrinkage': 100"),
    (["--target", "80/20", "--max-abandon", "5"], "--max-abandon needs --patience"),
    (["--target", "80/20", "--patience", "0"], "'--patience': 0"),
    (["--target", "80/20", "--asa", "abc"], "'--asa'"),
    ([], "Missing option '--target'"),
]


@pytest.mark.parametrize(("args", "expected"), BAD)
def test_bad_input_is_one_line_and_exit_code_2(args, expected):
    base = ["--calls", "100", "--aht", "180"]
    result = staffing(*base, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert lines[0].endswith("(see servicelevel staffing --help)")


def test_a_real_process_prints_one_line_too():
    proc = subprocess.run(
        [sys.executable, "-m", "servicelevel", "staffing", "--calls", "100", "--aht", "180",
         "--target", "80"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "error: Invalid value for '--target': '80' is not PCT/SECONDS, e.g. 80/20 "
        "(80 % of calls answered within 20 s) (see servicelevel staffing --help)"
    ]


def test_the_docs_name_every_option_and_json_key():
    """docs/staffing.md cannot rot: each option of the command and each --json key is there."""
    from pathlib import Path

    from servicelevel.cli.staffing import staffing as command

    docs = (Path(__file__).resolve().parents[2] / "docs" / "staffing.md").read_text()
    options = [opt for param in command.params for opt in param.opts if opt.startswith("--")]
    assert [opt for opt in options if f"`{opt}" not in docs] == []
    assert [key for key in sorted(KEYS) if f"`{key}`" not in docs] == []
