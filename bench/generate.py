"""Write a realistic Asterisk queue_log of N calls over one year, reproducibly, straight to disk.

Why this shape: the benchmarks must see what a large contact centre writes. Calls follow the
week (busy Mondays, quiet Saturdays, nearly nothing on Sundays and public holidays), the day
(a morning and an afternoon peak, a few calls outside business hours) and the season. Waits grow
with the load; callers hang up when their patience runs out (some within seconds: short
abandons), reach the queue's timeout, press a key or find the queue empty. Answered calls end
with COMPLETEAGENT / COMPLETECALLER or a transfer; some ring an agent who does not answer first.
Agent events (pauses, members added and removed) are sprinkled in between, as in a real log.

Everything is drawn with numpy one local day at a time, so 10 M calls never sit in memory; lines
are sorted by time (a call's later lines wait in a small carry-over until their day comes).
The same ``--seed`` gives the same file, byte for byte.

    python bench/generate.py --calls 1000000 --queues 50 --seed 1 --out calls.log
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np

FIRST_NAMES = ("support", "sales", "billing", "tech", "returns", "vip", "orders", "claims")
WEEKDAY_WEIGHT = (1.15, 1.05, 1.0, 1.0, 0.95, 0.3, 0.04)  # Monday .. Sunday
HOLIDAY_WEIGHT = 0.08
COMPLETIONS = ("COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
COMPLETION_P = (0.50, 0.45, 0.04, 0.01)
AGENT_EVENTS = ("PAUSE", "UNPAUSE", "ADDMEMBER", "REMOVEMEMBER")
CALLS_PER_AGENT_EVENT = 25
# Line order among lines of the same second: a call's own lines keep their logical order.
ORDER_ENTER, ORDER_RING, ORDER_OUTCOME, ORDER_END, ORDER_AGENT = 0, 1, 2, 3, 4
SLOT = 900  # seconds in a 15-minute slot of the intraday profile


def queue_names(count: int) -> list[str]:
    names = list(FIRST_NAMES[:count])
    names += [f"queue-{i:02d}" for i in range(len(names) + 1, count + 1)]
    return names


def day_weights(days: list[date], rng: np.random.Generator, country: str) -> np.ndarray:
    """Relative call volume of each day: weekday, public holiday, season, a little noise."""
    calendar = holidays_lib.country_holidays(country, years=sorted({d.year for d in days}))
    weights = np.array(
        [WEEKDAY_WEIGHT[d.weekday()] * (HOLIDAY_WEIGHT if d in calendar else 1.0) for d in days]
    )
    doy = np.array([d.timetuple().tm_yday for d in days])
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (doy - 20) / 365.0)  # busier in January
    return weights * season * rng.uniform(0.9, 1.1, len(days))


def intraday_seconds(count: int, weekday: int, rng: np.random.Generator) -> np.ndarray:
    """Local seconds after midnight of ``count`` call arrivals on a day of ``weekday``."""
    if weekday >= 5:  # weekend: one late-morning bump
        parts = [(0.9, ("normal", 11.0, 1.2)), (0.1, ("uniform", 0.0, 24.0))]
    else:
        parts = [
            (0.45, ("normal", 10.5, 1.3)),
            (0.40, ("normal", 14.75, 1.5)),
            (0.12, ("uniform", 7.0, 19.5)),
            (0.03, ("uniform", 0.0, 24.0)),  # night calls: outside business hours
        ]
    sizes = rng.multinomial(count, [p for p, _ in parts])
    hours = []
    for size, (_, (kind, a, b)) in zip(sizes, parts, strict=True):
        if kind == "normal":
            hours.append(rng.normal(a, b, size))
        else:
            hours.append(rng.uniform(a, b, size))
    seconds = np.concatenate(hours) * 3600.0
    return np.clip(seconds, 0, 86_399).astype(np.int64)


class Generator:
    def __init__(self, calls: int, queues: int, seed: int, start: date, days: int, tz: str):
        self.rng = np.random.default_rng(seed)
        self.tz = ZoneInfo(tz)
        self.days = [start + timedelta(days=i) for i in range(days)]
        country = "FR" if tz == "Europe/Paris" else "US"
        weights = day_weights(self.days, self.rng, country)
        self.per_day = self.rng.multinomial(calls, weights / weights.sum())
        self.queues = np.array(queue_names(queues), dtype=object)
        share = 1.0 / np.arange(1, queues + 1) ** 0.8  # a few big queues, a long tail
        self.queue_p = share / share.sum()
        self.base_wait = self.rng.uniform(10, 40, queues)  # mean wait at an average load
        self.timeout = self.rng.choice([180, 300, 600], queues, p=[0.3, 0.5, 0.2])
        agents_per_queue = np.maximum(2, np.round(self.queue_p * 40 * queues / 4)).astype(int)
        first = np.concatenate([[0], np.cumsum(agents_per_queue)[:-1]]) + 1001
        self.agent_first, self.agent_count = first, agents_per_queue
        self.seq = 0
        self.carry: list[tuple[np.ndarray, np.ndarray, list[str]]] = []

    def _midnight_epoch(self, day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp())

    def _local_to_epoch(self, day: date, seconds: np.ndarray) -> np.ndarray:
        # The offset at noon is good enough for arrivals (only a DST night is off by an hour).
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=self.tz)
        offset = int(noon.utcoffset().total_seconds())  # type: ignore[union-attr]
        midnight_utc = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        return midnight_utc - offset + seconds

    def day_lines(self, index: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(epoch, order, line) of every line that the calls of one local day produce."""
        day = self.days[index]
        n = int(self.per_day[index])
        rng = self.rng
        local = np.sort(intraday_seconds(n, day.weekday(), rng))
        entered = self._local_to_epoch(day, local)
        q = rng.choice(len(self.queues), n, p=self.queue_p)
        # Load = arrivals in the same 15-minute slot relative to the day's busiest slot.
        slots = np.bincount(local // SLOT, minlength=96)
        load = slots[local // SLOT] / max(int(slots.max()), 1)
        service = rng.exponential(self.base_wait[q] * (0.3 + 1.6 * load**2)).astype(np.int64)
        patience = rng.exponential(150.0, n).astype(np.int64)
        hasty = rng.random(n) < 0.04  # wrong numbers and changed minds: short abandons
        patience[hasty] = rng.integers(0, 6, int(hasty.sum()))
        timeout = self.timeout[q]
        draw = rng.random(n)
        outcome = np.full(n, "CONNECT", dtype=object)
        wait = service.copy()
        gave_up = patience < np.minimum(service, timeout)
        outcome[gave_up] = "ABANDON"
        wait[gave_up] = patience[gave_up]
        timed_out = ~gave_up & (service >= timeout)
        outcome[timed_out] = "EXITWITHTIMEOUT"
        wait[timed_out] = timeout[timed_out]
        key = draw < 0.01
        outcome[key] = "EXITWITHKEY"
        wait[key] = (np.minimum(service, patience)[key] * 0.5).astype(np.int64)
        empty = (draw >= 0.01) & (draw < 0.013)
        outcome[empty] = "EXITEMPTY"
        wait[empty] = 0
        answered = outcome == "CONNECT"
        agent = self.agent_first[q] + (rng.random(n) * self.agent_count[q]).astype(np.int64)
        talk = np.maximum(1, rng.lognormal(np.log(180), 0.7, n)).astype(np.int64)
        ring = answered & (wait > 15) & (rng.random(n) < 0.2)
        completion = rng.choice(len(COMPLETIONS), n, p=COMPLETION_P)
        callers = rng.integers(600_000_000, 800_000_000, n)
        position = rng.integers(1, 12, n)
        ids = np.arange(self.seq, self.seq + n)
        self.seq += n

        names = self.queues[q].tolist()
        e_l, ids_l, w_l, a_l = entered.tolist(), ids.tolist(), wait.tolist(), agent.tolist()
        callid = [f"{e}.{i}" for e, i in zip(e_l, ids_l, strict=True)]
        lines: list[str] = []
        epochs: list[np.ndarray] = []
        orders: list[np.ndarray] = []

        def add(mask: np.ndarray | None, at: np.ndarray, order: int, text: list[str]) -> None:
            lines.extend(text)
            epochs.append(at if mask is None else at[mask])
            orders.append(np.full(len(text), order, dtype=np.int8))

        add(None, entered, ORDER_ENTER, [
            f"{e}|{c}|{qn}|NONE|ENTERQUEUE||0{p}|{pos}"
            for e, c, qn, p, pos in zip(
                e_l, callid, names, callers.tolist(), position.tolist(), strict=True
            )
        ])  # fmt: skip
        out_at = entered + wait
        out_l, oc_l, pos_l = out_at.tolist(), outcome.tolist(), position.tolist()
        text = []
        for i in range(n):
            event = oc_l[i]
            if event == "CONNECT":
                data = f"{w_l[i]}|{callid[i]}|{(w_l[i] % 7) + 1}"
                who = f"SIP/{a_l[i]}"
            elif event == "EXITWITHKEY":
                data = f"{(i % 9) + 1}|{pos_l[i]}|{pos_l[i]}|{w_l[i]}"
                who = "NONE"
            else:
                data = f"{max(pos_l[i] - 1, 1)}|{pos_l[i]}|{w_l[i]}"
                who = "NONE"
            text.append(f"{out_l[i]}|{callid[i]}|{names[i]}|{who}|{event}|{data}")
        add(None, out_at, ORDER_OUTCOME, text)
        idx = np.flatnonzero(ring)
        ring_at = entered + wait // 2
        add(ring, ring_at, ORDER_RING, [
            f"{ring_at[i]}|{callid[i]}|{names[i]}|SIP/{a_l[i] + 1}|RINGNOANSWER|15000"
            for i in idx.tolist()
        ])  # fmt: skip
        idx = np.flatnonzero(answered)
        end_at = out_at + talk
        t_l, c_l = talk.tolist(), completion.tolist()
        text = []
        for i in idx.tolist():
            kind = COMPLETIONS[c_l[i]]
            if kind.startswith("COMPLETE"):
                data = f"{w_l[i]}|{t_l[i]}|{pos_l[i]}"
            elif kind == "BLINDTRANSFER":
                data = f"2{a_l[i]}|from-internal|{w_l[i]}|{t_l[i]}|{pos_l[i]}"
            else:
                data = f"BRIDGE|{callid[i]}x|{w_l[i]}|{t_l[i]}|{pos_l[i]}"
            text.append(f"{end_at[i]}|{callid[i]}|{names[i]}|SIP/{a_l[i]}|{kind}|{data}")
        add(answered, end_at, ORDER_END, text)
        # Agent and member events during opening hours.
        k = max(n // CALLS_PER_AGENT_EVENT, 0)
        if k:
            aq = rng.choice(len(self.queues), k, p=self.queue_p)
            who = self.agent_first[aq] + (rng.random(k) * self.agent_count[aq]).astype(np.int64)
            at = self._local_to_epoch(day, rng.integers(7 * 3600, 19 * 3600, k))
            kinds = rng.integers(0, len(AGENT_EVENTS), k)
            add(None, at, ORDER_AGENT, [
                f"{t}|NONE|{self.queues[qi]}|SIP/{a}|{AGENT_EVENTS[ki]}|"
                + ("Lunch" if AGENT_EVENTS[ki] == "PAUSE" else "")
                for t, qi, a, ki in zip(
                    at.tolist(), aq.tolist(), who.tolist(), kinds.tolist(), strict=True
                )
            ])  # fmt: skip
        return np.concatenate(epochs), np.concatenate(orders), lines

    def chunks(self):  # type: ignore[no-untyped-def]
        """Sorted text chunks, one per local day; a call's later lines wait for their day."""
        for index, day in enumerate(self.days):
            epoch, order, lines = self.day_lines(index)
            for c_epoch, c_order, c_lines in self.carry:
                epoch = np.concatenate([epoch, c_epoch])
                order = np.concatenate([order, c_order])
                lines = lines + c_lines
            self.carry = []
            cut = self._midnight_epoch(day + timedelta(days=1))
            perm = np.lexsort((order, epoch))
            now = perm[epoch[perm] < cut]
            later = perm[epoch[perm] >= cut]
            if len(later):
                self.carry.append((epoch[later], order[later], [lines[i] for i in later.tolist()]))
            yield [lines[i] for i in now.tolist()]
        for c_epoch, c_order, c_lines in self.carry:
            perm = np.lexsort((c_order, c_epoch))
            yield [c_lines[i] for i in perm.tolist()]


def generate(
    out: Path,
    calls: int,
    queues: int,
    seed: int = 1,
    *,
    start: date = date(2024, 1, 1),
    days: int = 366,
    tz: str = "Europe/Paris",
) -> int:
    """Write the log to ``out``; returns the number of lines written."""
    gen = Generator(calls, queues, seed, start, days, tz)
    first = gen._midnight_epoch(start) - 3600
    written = 1
    with out.open("w", encoding="ascii", newline="\n") as handle:
        handle.write(f"{first}|NONE|NONE|NONE|QUEUESTART|\n")
        for lines in gen.chunks():
            if lines:
                handle.write("\n".join(lines))
                handle.write("\n")
                written += len(lines)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, required=True, help="number of calls in the year")
    parser.add_argument("--queues", type=int, default=50, help="number of queues (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, default=Path("queue_log"), help="file to write")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=366, help="days covered (default 366)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    lines = generate(args.out, args.calls, args.queues, args.seed, start=args.start, days=args.days)
    took = time.perf_counter() - began
    size = args.out.stat().st_size
    print(
        f"wrote {args.out}: {args.calls} calls, {lines} lines, {size / 1e6:.1f} MB "
        f"in {took:.1f} s ({lines / took:,.0f} lines/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
