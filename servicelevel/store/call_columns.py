"""The columnar write path: a batch of resolved calls as arrays, with its rollup deltas.

Part of the ingest transaction (see :mod:`servicelevel.store.ingest`, which re-exports these):
the queue_log fast path hands whole columns here instead of one :class:`CallFact` per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.store import bulk
from servicelevel.store.rollups import IntervalDelta, RollupSpec, apply_deltas
from servicelevel.store.schema import Call
from servicelevel.timeutil import INTERVAL_SECONDS


@dataclass(slots=True)
class CallColumns:
    """Resolved calls of one batch as columns (the columnar queue_log path).

    Why columns: building one :class:`CallFact` and one tuple per call cost more than the
    database's insert. Times are whole-second Unix epochs (the fast path takes only those);
    ``talk`` is NaN where the call has no talk time.
    """

    source: str
    callid: np.ndarray
    queue: np.ndarray
    entered: np.ndarray  # int64 epoch seconds
    outcome: np.ndarray
    wait: np.ndarray  # float64
    ended: np.ndarray  # int64 epoch seconds
    talk: np.ndarray  # float64, NaN = None
    agent: np.ndarray  # str or None
    caller_hash: np.ndarray  # str or None
    ring_no_answer: np.ndarray  # int64
    lines: np.ndarray  # int64: input lines behind each call, for the run's accounting

    def __len__(self) -> int:
        return len(self.callid)

    def take(self, rows: np.ndarray) -> CallColumns:
        return CallColumns(
            self.source, *(getattr(self, n)[rows] for n in CallColumns.__slots__[1:])
        )


def _stored_in_range(session: Session, low: int, high: int) -> set[tuple[str, str, float]]:
    """(callid, queue, epoch) of the stored calls that entered between ``low`` and ``high``.

    Why a range rather than a look-up per key: a batch of a log read in time order overlaps
    the store only at its edges (or wholly, on a re-import); the index on ``entered_at`` makes
    this one cheap query that proves most batches have no duplicate at all.
    """
    columns = (Call.callid, Call.queue, Call.entered_at)
    query = select(*columns).where(
        Call.entered_at >= datetime.fromtimestamp(low, UTC),
        Call.entered_at <= datetime.fromtimestamp(high, UTC),
    )
    return {(c, q, e.timestamp()) for c, q, e in session.execute(query)}


def write_call_columns(session: Session, calls: CallColumns, spec: RollupSpec) -> int:
    """Store the calls of ``calls`` that are new, with their rollup deltas.

    Returns the input lines of the calls that were duplicates (already stored).
    """
    if not len(calls):
        return 0
    known = _stored_in_range(session, int(calls.entered.min()), int(calls.entered.max()))
    if known:
        seen = np.fromiter(
            (
                (c, q, float(e)) in known
                for c, q, e in zip(calls.callid, calls.queue, calls.entered.tolist(), strict=True)
            ),
            dtype=bool,
            count=len(calls),
        )
        dup_lines = int(calls.lines[seen].sum())
        calls = calls.take(np.flatnonzero(~seen))
    else:
        dup_lines = 0
    if len(calls):
        bulk.insert_columns(
            session,
            Call.__table__,
            {
                "source": calls.source,
                "callid": calls.callid,
                "queue": calls.queue,
                "entered_at": calls.entered,
                "outcome": calls.outcome,
                "wait_s": calls.wait,
                "ended_at": calls.ended,
                "talk_s": calls.talk,
                "agent": calls.agent,
                "caller_hash": calls.caller_hash,
                "ring_no_answer": calls.ring_no_answer,
            },
        )
        apply_deltas(session, column_deltas(calls, spec), spec)
    return dup_lines


def _per_group(
    counts: list[list[int]], thresholds: Sequence[float], n: int
) -> list[dict[float, int]]:
    """Per group, {threshold: count} of the thresholds counted at least once (as add_call)."""
    if not thresholds:
        return [{} for _ in range(n)]
    return [
        {t: c for t, c in zip(thresholds, row, strict=True) if c}
        for row in zip(*counts, strict=True)
    ]


def column_deltas(
    calls: CallColumns, spec: RollupSpec
) -> dict[tuple[str, datetime], IntervalDelta]:
    """The rollup deltas of ``calls``, as :func:`add_call` would build them one by one.

    Sums run in the calls' order (``bincount`` adds sequentially), like ``add_call`` does.
    """
    interval = calls.entered - calls.entered % INTERVAL_SECONDS
    keys = pd.DataFrame({"q": calls.queue, "i": interval})
    # Groups numbered in key order: the dict comes out sorted, and apply_deltas' sort of it
    # is then one linear pass.
    group = keys.groupby(["q", "i"], sort=True).ngroup().to_numpy()
    n = int(group.max()) + 1
    wait = calls.wait
    answered = calls.outcome == "answered"
    abandoned = calls.outcome == "abandoned"
    short = abandoned & (wait < spec.short_abandon_s)
    counted = ~short

    def count(mask: np.ndarray) -> list[int]:
        counts: list[int] = np.bincount(group[mask], minlength=n).tolist()
        return counts

    offered = count(counted)
    n_answered = count(answered)
    n_abandoned = count(abandoned & counted)
    n_short = count(short)
    other = count(counted & ~answered & ~abandoned)
    wait_sum = np.bincount(group[answered], weights=wait[answered], minlength=n).tolist()
    max_wait = np.full(n, -np.inf)
    np.maximum.at(max_wait, group[counted], wait[counted])
    max_list = max_wait.tolist()
    thresholds = spec.thresholds
    within_a = _per_group([count(answered & (wait <= t)) for t in thresholds], thresholds, n)
    within_b = _per_group(
        [count(abandoned & counted & (wait <= t)) for t in thresholds], thresholds, n
    )
    firsts = np.unique(group, return_index=True)[1]
    starts = {s: datetime.fromtimestamp(s, UTC) for s in set(interval[firsts].tolist())}
    keys = zip(calls.queue[firsts].tolist(), interval[firsts].tolist(), strict=True)
    columns = zip(
        keys, offered, n_answered, n_abandoned, n_short, other, wait_sum, max_list,
        within_a, within_b, strict=True,
    )  # fmt: skip
    deltas: dict[tuple[str, datetime], IntervalDelta] = {}
    for (queue, start), off, ans, aba, sho, oth, wsum, mx, wa, wb in columns:
        deltas[(queue, starts[start])] = IntervalDelta(
            offered=off, answered=ans, abandoned=aba, short_abandoned=sho, unanswered_other=oth,
            wait_sum_answered=wsum, max_wait=mx if off else None, answered_within=wa,
            abandoned_within=wb,
        )  # fmt: skip
    return deltas
