"""Hand-written queue_log lines for the collector tests (field orders from the Asterisk docs).

Plain string formatting, no package code, so a test never checks the importer against itself.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = 1_795_000_000  # 2026-11-18 around 10:13 UTC: well in the past of the tests' "now"


@dataclass(frozen=True)
class Call:
    callid: str
    queue: str
    entered: int  # Unix time
    outcome: str  # answered | abandoned | timeout
    wait: int

    def lines(self) -> list[str]:
        """ENTERQUEUE, then its outcome (and COMPLETEAGENT for an answered call)."""
        enter = f"{self.entered}|{self.callid}|{self.queue}|NONE|ENTERQUEUE||0612345678|1"
        end = self.entered + self.wait
        if self.outcome == "answered":
            return [
                enter,
                f"{end}|{self.callid}|{self.queue}|Agent/1001|CONNECT|{self.wait}|{self.callid}.9|2",
                f"{end + 60}|{self.callid}|{self.queue}|Agent/1001|COMPLETEAGENT|{self.wait}|60|1",
            ]
        if self.outcome == "abandoned":
            return [enter, f"{end}|{self.callid}|{self.queue}|NONE|ABANDON|1|1|{self.wait}"]
        return [enter, f"{end}|{self.callid}|{self.queue}|NONE|EXITWITHTIMEOUT|1|1|{self.wait}"]


def calls(
    n: int, *, start: int = BASE, queues: tuple[str, ...] = ("sales", "support")
) -> list[Call]:
    """``n`` calls one minute apart, outcomes and waits cycling through a fixed pattern."""
    outcomes = ("answered", "answered", "abandoned", "answered", "timeout")
    return [
        Call(
            f"{start + 60 * i}.{i}",
            queues[i % len(queues)],
            start + 60 * i,
            outcomes[i % len(outcomes)],
            (7 * i) % 45,
        )
        for i in range(n)
    ]


def interleaved(items: list[Call]) -> list[str]:
    """All the calls' lines in time order (a later call may enter before one ends)."""
    timed = []
    for order, call in enumerate(items):
        for step, line in enumerate(call.lines()):
            timed.append((int(line.split("|", 1)[0]), order, step, line))
    return [line for *_, line in sorted(timed)]


def text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
