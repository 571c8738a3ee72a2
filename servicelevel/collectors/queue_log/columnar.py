"""The columnar fast path of the queue_log import: ordinary calls of a batch, all at once.

Why: reading the log line by line in Python (split, the state machine, one ``CallFact`` per call)
cost more than the database's whole insert. Almost every call of a real log is ordinary: within
one batch, its (callid, queue) has exactly ``ENTERQUEUE``, some ``RINGNOANSWER``, one outcome
and, after a ``CONNECT``, at most one ``COMPLETE*``/``TRANSFER`` line, all well formed. Such a
call does not interact with any other line, so pandas/numpy can split the batch and pair these
lines for all calls together.

Everything else keeps going through the state machine (:class:`QueueLogImporter`), in file
order: agent and system events, calls spanning batches or already waiting in the store, repeated
or out-of-order lines, unknown events, malformed lines (quarantined with their reason), lines with
spaces, control or non-ASCII bytes, caller ids already pseudonymised. A (callid, queue) is taken
by the fast path only when *all* its lines of the batch are, so both paths never share a call and
the result is the one the state machine gives (tests compare both on documented and generated
logs).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicelevel.store import bounds
from servicelevel.store.ingest import CallColumns

ENTER, OUTCOME, RING, TALK = 1, 2, 3, 4
# event -> (kind, index of the duration field among the data fields, outcome)
_EVENTS: dict[str, tuple[int, int, str]] = {
    "ENTERQUEUE": (ENTER, -1, ""),
    "RINGNOANSWER": (RING, -1, ""),
    "CONNECT": (OUTCOME, 0, "answered"),
    "ABANDON": (OUTCOME, 2, "abandoned"),
    "EXITWITHTIMEOUT": (OUTCOME, 2, "timeout"),
    "EXITEMPTY": (OUTCOME, 2, "exitempty"),
    "EXITWITHKEY": (OUTCOME, 3, "exitkey"),
    "COMPLETEAGENT": (TALK, 1, ""),
    "COMPLETECALLER": (TALK, 1, ""),
    "TRANSFER": (TALK, 3, ""),
    "BLINDTRANSFER": (TALK, 3, ""),
    "ATTENDEDTRANSFER": (TALK, 3, ""),
}
_EVENT_NAMES = list(_EVENTS)
_KIND = np.array([0] + [k for k, _, _ in _EVENTS.values()], dtype=np.int8)
_FIELD = np.array([-1] + [f for _, f, _ in _EVENTS.values()], dtype=np.int64)
_OUTCOME = np.array([""] + [o for _, _, o in _EVENTS.values()], dtype=object)
_ATTENDED = 1 + _EVENT_NAMES.index("ATTENDEDTRANSFER")
_NONE_CALLIDS = frozenset(
    "".join(c.upper() if (mask >> i) & 1 else c for i, c in enumerate("none")) for mask in range(16)
)  # every spelling the state machine's ``callid.upper() == "NONE"`` refuses
_PIPE, _ODD = 1, 2
# Only plain printable ASCII without spaces or backslashes takes the fast path: no field needs
# stripping, decoding is the same in every codec, and no value needs escaping in COPY text.
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[:33] = _ODD
_BYTE_CLASS[127:] = _ODD
_BYTE_CLASS[ord("\\")] = _ODD
_BYTE_CLASS[ord("\n")] = 0
_BYTE_CLASS[ord("|")] = _PIPE
MAX_FIELDS = 64  # a batch with longer lines goes to the state machine (never seen in Asterisk)
HASHED = "pseudonym:"


@dataclass(slots=True)
class Split:
    """A batch split between the fast path and the state machine."""

    starts: np.ndarray  # byte offset of each line in the batch
    ends: np.ndarray  # byte offset just past each line (its newline included)
    slow: np.ndarray  # indexes of the lines for the state machine, ascending
    calls: CallColumns | None  # the calls of the fast path, in the order of their outcome
    fast_lines: int  # lines the fast path consumed
    newest: int | None  # newest epoch among them


def line_bounds(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the lines of ``buf`` (a last line may lack its newline)."""
    newlines = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10)
    ends = newlines + 1
    if not buf.endswith(b"\n") and buf:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
    return starts, ends.astype(np.int64)


def _all_slow(starts: np.ndarray, ends: np.ndarray) -> Split:
    return Split(starts, ends, np.arange(len(starts)), None, 0, None)


def _to_float(values: np.ndarray) -> np.ndarray:
    """``float(v)`` of each text, NaN where that raises (exactly the state machine's parse)."""
    try:
        return values.astype(np.float64)
    except ValueError:
        out = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            try:
                out[i] = float(v)
            except ValueError:
                out[i] = np.nan
        return out


def _to_epoch(values: np.ndarray) -> np.ndarray:
    """``int(v)`` of each text, 0 (refused later) where that raises."""
    try:
        return values.astype(np.int64)
    except (ValueError, OverflowError):
        out = np.zeros(len(values), dtype=np.int64)
        for i, v in enumerate(values):
            try:
                out[i] = int(v)
            except (ValueError, OverflowError):
                out[i] = 0
        return out


def split_batch(
    buf: bytes,
    *,
    source: str,
    surely_past: int,
    skip_pairs: Collection[tuple[str, str]],
    pseudonym: Callable[[str], str | None] | None,
) -> Split:
    """Split the whole lines of ``buf`` between the fast path and the state machine.

    ``skip_pairs`` are the (callid, queue) the state machine already holds (calls waiting):
    their lines must go to it. ``surely_past`` is the epoch below which no line is in the future.
    ``pseudonym`` hashes caller ids (None: no key, none kept).
    """
    starts, ends = line_bounds(buf)
    n = len(starts)
    if n < 2 or b"\r" in buf or b"\x00" in buf:
        return _all_slow(starts, ends)
    # One pass over the bytes: where the field separators and the odd bytes are.
    classes = _BYTE_CLASS[np.frombuffer(buf, dtype=np.uint8)]
    marks = np.flatnonzero(classes)
    marked_line = np.searchsorted(ends, marks, side="right")
    is_pipe = classes[marks] == _PIPE
    clean = np.ones(n, dtype=bool)
    clean[marked_line[~is_pipe]] = False
    pipes = np.bincount(marked_line[is_pipe], minlength=n)[:n]
    fields = pipes + 1
    width = int(fields.max())
    if width < 5 or width > MAX_FIELDS:  # no line has the five fields of a call's line
        return _all_slow(starts, ends)
    frame = pd.read_csv(
        io.BytesIO(buf),
        sep="|",
        header=None,
        names=list(range(width)),
        dtype=str,
        quoting=csv.QUOTE_NONE,
        na_filter=False,
        skip_blank_lines=False,
        encoding="latin-1",
        engine="c",
    )
    if len(frame) != n:
        return _all_slow(starts, ends)
    cols = [frame[i].to_numpy(dtype=object) for i in range(width)]
    stamp, callid, queue, agent, event = cols[:5]
    code = pd.Index(_EVENT_NAMES).get_indexer(event).astype(np.int64) + 1
    kind = _KIND[code]
    ok = clean & (fields >= 5) & (kind > 0)
    epoch = _to_epoch(stamp)
    ok &= (epoch > 0) & (epoch <= surely_past)
    ok &= (callid != "") & (queue != "") & (queue != "NONE")
    ok &= ~pd.Series(callid).isin(list(_NONE_CALLIDS)).to_numpy()
    # Values too long for their column go the slow way, where parse_line refuses a long id or
    # queue and cuts a long agent name: in a PostgreSQL COPY one would abort the whole batch.
    for name, values in (("calls.callid", callid), ("calls.queue", queue), ("calls.agent", agent)):
        ok &= ~bounds.too_long(name, values)

    # Group the lines by (callid, queue), each group in file order.
    cid_codes, _ = pd.factorize(callid)
    q_codes, q_uniques = pd.factorize(queue)
    pair = cid_codes.astype(np.int64) * max(len(q_uniques), 1) + q_codes
    order = np.argsort(pair, kind="stable")
    spair = pair[order]
    head = np.concatenate(([True], spair[1:] != spair[:-1]))
    group_of = np.cumsum(head) - 1  # group id, in sorted order
    first = np.flatnonzero(head)
    ngroups = len(first)
    size = np.diff(np.append(first, n))
    pos = np.arange(n) - first[group_of]
    skind = kind[order]
    sok = ok[order]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group_of, weights=mask, minlength=ngroups).astype(np.int64)

    bad = count(~sok)
    enters = count(skind == ENTER)
    outcomes = count(skind == OUTCOME)
    talks = count(skind == TALK)
    rings = count(skind == RING)
    fast = (bad == 0) & (size >= 2) & (enters == 1) & (outcomes == 1) & (talks <= 1)
    fast &= skind[first] == ENTER
    fast &= (talks == 0) | (skind[first + size - 1] == TALK)
    # The outcome right after the rings, then (a CONNECT's) talk line last.
    out_pos = np.zeros(ngroups, dtype=np.int64)
    is_out = skind == OUTCOME
    out_pos[group_of[is_out]] = pos[is_out]
    fast &= out_pos == rings + 1
    out_row = np.full(ngroups, -1, dtype=np.int64)
    out_row[group_of[is_out]] = order[is_out]
    talk_row = np.full(ngroups, -1, dtype=np.int64)
    is_talk = skind == TALK
    talk_row[group_of[is_talk]] = order[is_talk]
    enter_row = order[first]
    out_code = code[np.maximum(out_row, 0)]
    fast &= (talks == 0) | (_OUTCOME[out_code] == "answered")
    if skip_pairs:
        held = np.fromiter(
            (
                (c, q) in skip_pairs
                for c, q in zip(callid[enter_row], queue[enter_row], strict=True)
            ),
            dtype=bool,
            count=ngroups,
        )
        fast &= ~held

    # Values of the candidates; a call whose values the state machine would refuse goes to it.
    cand = np.flatnonzero(fast)
    e_row, o_row, t_row = enter_row[cand], out_row[cand], talk_row[cand]
    ndata = fields - 5

    def field_text(rows: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The data field ``index`` of each row ('' where absent) and whether it is present."""
        present = (index >= 0) & (index < ndata[rows])
        text = np.full(len(rows), "", dtype=object)
        for col in np.unique(index[present]):
            at = present & (index == col)
            text[at] = cols[5 + col][rows[at]]
        return text, present & (text != "")

    wait_text, has_wait = field_text(o_row, _FIELD[code[o_row]])
    wait = np.zeros(len(cand), dtype=np.float64)
    wait[has_wait] = _to_float(wait_text[has_wait])
    good = ~has_wait | (np.isfinite(wait) & (wait >= 0))
    no_wait = ~has_wait
    wait[no_wait] = np.maximum(epoch[o_row[no_wait]] - epoch[e_row[no_wait]], 0).astype(float)

    talk = np.full(len(cand), np.nan)
    with_talk = t_row >= 0
    t_rows = t_row[with_talk]
    t_index = _FIELD[code[t_rows]]
    attended_long = (code[t_rows] == _ATTENDED) & (ndata[t_rows] > 5)
    t_index = np.where(attended_long, ndata[t_rows] - 2, t_index)
    t_text, has_talk = field_text(t_rows, t_index)
    t_value = np.full(len(t_rows), np.nan)
    t_value[has_talk] = _to_float(t_text[has_talk])
    t_good = ~has_talk | (np.isfinite(t_value) & (t_value >= 0))
    good[with_talk] &= t_good
    talk[with_talk] = t_value  # NaN: no talk time (None)

    caller_text, has_caller = field_text(e_row, np.full(len(cand), 1))
    hashed = np.array([c.startswith(HASHED) for c in caller_text[has_caller]], dtype=bool)
    if hashed.any():
        good[np.flatnonzero(has_caller)[hashed]] = False

    keep = np.flatnonzero(good)
    cand, e_row, o_row = cand[keep], e_row[keep], o_row[keep]
    fast_groups = np.zeros(ngroups, dtype=bool)
    fast_groups[cand] = True
    slow = np.sort(order[~fast_groups[group_of]])
    if not len(cand):
        return Split(starts, ends, slow, None, 0, None)
    by_outcome = np.argsort(o_row, kind="stable")  # the state machine's order of resolution
    cand, e_row, o_row = cand[by_outcome], e_row[by_outcome], o_row[by_outcome]
    sel = keep[by_outcome]
    outcome = _OUTCOME[code[o_row]]
    answered = outcome == "answered"
    agents = np.full(len(cand), None, dtype=object)
    named = answered & (agent[o_row] != "")
    agents[named] = agent[o_row[named]]
    callers = caller_text[sel]
    hashes = np.full(len(cand), None, dtype=object)
    if pseudonym is not None:
        hashes[:] = [pseudonym(c) if c else None for c in callers]
    fast_lines = int(size[cand].sum())
    calls = CallColumns(
        source=source,
        callid=callid[e_row],
        queue=queue[e_row],
        entered=epoch[e_row],
        outcome=outcome,
        wait=wait[sel],
        ended=epoch[o_row],
        talk=talk[sel],
        agent=agents,
        caller_hash=hashes,
        ring_no_answer=rings[cand],
        lines=size[cand],
    )
    newest = int(epoch[order[fast_groups[group_of]]].max())
    return Split(starts, ends, slow, calls, fast_lines, newest)
