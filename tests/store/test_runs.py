"""The run and source bookkeeping: what a failure leaves in ``sources`` and ``ingest_runs``."""

from __future__ import annotations

from servicelevel.store.runs import failure_text


def test_the_failure_text_keeps_the_class_and_the_first_line_without_values():
    assert failure_text(ValueError("could not convert string to float: 'Zelda'")) == (
        "ValueError: could not convert string to float: (value not shown)"
    )
    assert failure_text(OverflowError("date value out of range")) == (
        "OverflowError: date value out of range"
    )
    assert failure_text(RuntimeError("first line\nsecond line with 'Zelda'")) == (
        "RuntimeError: first line"
    )
    assert len(failure_text(RuntimeError("x" * 5000))) <= 300
