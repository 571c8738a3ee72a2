"""Fuzz: random edits of the example targets.toml, the file analysts edit by hand.

Edits: a value swapped for one of the wrong type (text for a number, a list, a table, ``nan``,
``inf``, 20 digits, a negative), a line deleted or doubled, a ``[[target]]`` block doubled (a
duplicate id), garbage or invalid UTF-8 bytes spliced in, the file cut anywhere. Whatever the
edit, ``load_targets`` raises nothing; either the targets load, or ``unwrap`` raises
`TargetsInvalid` whose every issue names the file and a line.
"""

from __future__ import annotations

import re
from pathlib import Path

from fuzzing import BAD_BYTES, FUZZ, unique
from hypothesis import given
from hypothesis import strategies as st

import servicelevel.examples
from servicelevel.config import load_targets
from servicelevel.errors import TargetsInvalid

EXAMPLE = (Path(servicelevel.examples.__file__).parent / "targets.toml").read_text("utf-8")
LINES = EXAMPLE.splitlines(keepends=True)
ASSIGNMENTS = [i for i, line in enumerate(LINES) if re.match(r"\s*[a-z_]+\s*=", line)]
BLOCKS = [i for i, line in enumerate(LINES) if line.startswith("[[target]]")]
WRONG = (
    "nan", "inf", "-inf", "+nan", "1.0e400", "99999999999999999999", "-1", "0", "-0.0", "1e-400",
    '"80"', '""', '"nan"', "true", "[]", '["*", 5]', "{}", "{ a = 1 }", "1979-05-27", "07:32:00",
    '"' + "x" * 300 + '"', "'''\n", '"\\u0000"', "= =", "[[", "",
)  # fmt: skip


@st.composite
def edited(draw) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(["value", "delete", "double", "block", "bytes", "cut"]))
        if edit == "value":
            i = draw(st.sampled_from(ASSIGNMENTS))
            if i < len(lines) and "=" in lines[i]:
                lines[i] = lines[i].split("=", 1)[0] + "= " + draw(st.sampled_from(WRONG)) + "\n"
        elif edit == "delete" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif edit == "double" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
        elif edit == "block":
            start = draw(st.sampled_from(BLOCKS))
            end = next((b for b in BLOCKS if b > start), len(LINES))
            lines.extend(LINES[start:end])  # the same id twice
        elif edit == "bytes" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            garbage = draw(st.one_of(BAD_BYTES, st.binary(min_size=1, max_size=8)))
            lines[i] = lines[i].encode("utf-8").decode("latin-1") + garbage.decode("latin-1")
        elif edit == "cut":
            text = "".join(lines)
            lines = [text[: draw(st.integers(0, len(text)))]]
    return _encode(lines)


def _encode(lines: list[str]) -> bytes:
    # Lines edited with bytes hold latin-1 stand-ins for raw bytes; the rest are real text.
    out = []
    for line in lines:
        try:
            out.append(line.encode("latin-1"))
        except UnicodeEncodeError:
            out.append(line.encode("utf-8"))
    return b"".join(out)


@FUZZ
@given(data=edited())
def test_any_edit_of_the_example_loads_or_names_the_file_and_a_line(tmp_path, data):
    path = tmp_path / unique("targets.toml")
    path.write_bytes(data)
    result = load_targets(path)
    try:
        result.unwrap()
    except TargetsInvalid as error:
        assert error.errors
        for issue in error.errors:
            assert issue.file == str(path), issue
            if issue.line is None:  # only what is absent has no line to point at
                assert re.search(r"missing|no targets|required", issue.message), str(issue)
                continue
            assert issue.line >= 1, str(issue)
            assert str(issue).startswith(f"{path}:{issue.line}: "), str(issue)
