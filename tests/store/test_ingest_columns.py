"""Rollup deltas built by groupby (the columnar path) equal those ``add_call`` builds per call."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np

from servicelevel.store.ingest import CallColumns, column_deltas
from servicelevel.store.rollups import IntervalDelta, RollupSpec, add_call

OUTCOMES = ["answered", "abandoned", "timeout", "exitkey", "exitempty"]


def test_column_deltas_equal_add_call_call_by_call():
    rng = random.Random(7)
    n = 3000
    entered = np.array([1_704_060_000 + rng.randrange(0, 6 * 3600) for _ in range(n)])
    queue = np.array([rng.choice(["sales", "support", "vip"]) for _ in range(n)], dtype=object)
    outcome = np.array([rng.choice(OUTCOMES) for _ in range(n)], dtype=object)
    wait = np.array(
        [rng.choice([0, 1, 4.9, 5, 5.5, 19.5, 20, 20.25, 30, 31, 600]) for _ in range(n)]
    )
    calls = CallColumns(
        source="s", callid=np.array([str(i) for i in range(n)], dtype=object), queue=queue,
        entered=entered, outcome=outcome, wait=wait.astype(float), ended=entered + 60,
        talk=np.full(n, np.nan), agent=np.full(n, None, dtype=object),
        caller_hash=np.full(n, None, dtype=object), ring_no_answer=np.zeros(n, dtype=np.int64),
        lines=np.full(n, 2, dtype=np.int64),
    )  # fmt: skip
    for spec in (RollupSpec.of(5, [20]), RollupSpec.of(0, [20, 30]), RollupSpec.of(10, [])):
        expected: dict[tuple[str, datetime], IntervalDelta] = {}
        for i in range(n):
            at = datetime.fromtimestamp(int(entered[i]), UTC)
            add_call(expected, spec, str(queue[i]), at, str(outcome[i]), float(wait[i]))
        got = column_deltas(calls, spec)
        assert got == expected
        for key, delta in got.items():  # the same Python types the rows are built from
            assert type(delta.offered) is int and type(delta.wait_sum_answered) is float, key
