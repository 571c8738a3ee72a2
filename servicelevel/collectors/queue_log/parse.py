"""Asterisk ``queue_log`` lines: their fields, events and durations, read or refused with a reason.

Line format (Asterisk docs): ``epoch|callid|queue|agent|EVENT|data1|data2|...``. One call is one
ENTERQUEUE per (callid, queue); its outcome is the first CONNECT, ABANDON, EXITWITHTIMEOUT,
EXITWITHKEY or EXITEMPTY that follows. Field order follows Asterisk:

* CONNECT ``holdtime|bridged uniqueid|ringtime`` -> wait = holdtime
* ABANDON / EXITWITHTIMEOUT / EXITEMPTY ``position|origposition|waittime`` -> wait = waittime
* EXITWITHKEY ``key|position|origposition|waittime`` -> wait = waittime
* COMPLETEAGENT / COMPLETECALLER ``holdtime|calltime|origposition``, TRANSFER and
  BLINDTRANSFER ``extension|context|holdtime|calltime|origposition``, ATTENDEDTRANSFER
  ``method|method data|holdtime|calltime|origposition`` -> talk time. The method data is one
  field (BRIDGE, APP) or two (LINK names both channels), so its call time is read from the right.

Older Asterisk versions log fewer fields (EXITWITHTIMEOUT with ``position`` only); the wait is
then the time between ENTERQUEUE and the outcome line. Agent and system events (logins, pauses,
members, QUEUESTART...) are kept in ``queue_events`` on purpose; an event we do not know is
quarantined, never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from servicelevel.store import bounds, ingest

COLLECTOR = "asterisk-queue-log"
OUTCOME_EVENTS = {
    "CONNECT": ("answered", 0),
    "ABANDON": ("abandoned", 2),
    "EXITWITHTIMEOUT": ("timeout", 2),
    "EXITEMPTY": ("exitempty", 2),
    "EXITWITHKEY": ("exitkey", 3),
}
# (index of holdtime, index of calltime) in the data fields
TALK_EVENTS = {
    "COMPLETEAGENT": 1,
    "COMPLETECALLER": 1,
    "TRANSFER": 3,
    "BLINDTRANSFER": 3,
    "ATTENDEDTRANSFER": 3,
}
OTHER_EVENTS = frozenset(
    {
        "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL",
        "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF",
        "QUEUESTART", "CONFIGRELOAD", "AGENTDUMP", "SYSCOMPAT", "PENALTY", "JOINEMPTY",
        "JOINUNAVAIL", "INFO", "DID", "RINGCANCELED", "REQUEUE",
    }
)  # fmt: skip
MAX_FUTURE = timedelta(days=1)  # a line dated later than this is a wrong clock, not a call
# The last second a datetime can hold (9999-12-31 23:59:59 UTC): a Unix time past it is no time
# at all (a time in milliseconds, a corrupt field), refused here so that no later step meets it.
MAX_EPOCH = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
NUL_REASON = "NUL byte in the line: a damaged file, or not a text queue_log (UTF-16?)"


@dataclass(slots=True)
class Line:
    """One parsed queue_log line (a row of the realtime table looks the same)."""

    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: list[str]
    location: str
    raw: str


class LineError(ValueError):
    """A line that cannot be used; the message is the quarantine reason."""


def parse_line(raw: str, location: str) -> Line:
    if "\x00" in raw:  # no PostgreSQL text holds it: the line could not even be quarantined
        raise LineError(NUL_REASON)
    parts = raw.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise LineError(
            f"missing fields: expected at least 5 '|'-separated fields, got {len(parts)}"
        )
    stamp, callid, queue, agent, event = parts[:5]
    try:  # the store's column sizes, alike on SQLite and PostgreSQL (store.bounds)
        callid = bounds.fit_text("calls.callid", callid.strip(), "callid")
        queue = bounds.fit_text("calls.queue", queue.strip(), "queue")
        agent = bounds.fit_text("calls.agent", agent.strip(), "agent")
    except bounds.OutOfBounds as exc:
        raise LineError(str(exc)) from None
    return Line(
        unix_time(stamp),
        callid,
        queue,
        agent,
        event.strip().upper(),
        parts[5:],
        location,
        raw.rstrip("\r\n"),
    )


def unix_time(stamp: str) -> int:
    """The whole seconds of a line's first field, or LineError: every value it returns is a
    datetime (``1.0e400``, ``nan`` and ``99999999999999999999`` are refused, never raised)."""
    try:
        if "." in stamp:
            number = float(stamp)
            if not math.isfinite(number):  # int() of it would raise OverflowError
                raise ValueError(stamp)
            epoch = int(number)
        else:
            epoch = int(stamp)  # ValueError past 4300 digits too
    except ValueError:
        raise LineError(f"bad timestamp: {stamp[:30]!r} is not a Unix time") from None
    if epoch <= 0:
        raise LineError(f"bad timestamp: {epoch} is not a Unix time")
    if epoch > MAX_EPOCH:
        hint = " (milliseconds?)" if epoch // 1000 <= MAX_EPOCH else ""
        raise LineError(f"bad timestamp: {stamp[:30]!r} is after the year 9999{hint}")
    return epoch


def calltime(line: Line) -> float | None:
    """Talk time of a COMPLETE*/TRANSFER line (None when the Asterisk version omits it)."""
    index = TALK_EVENTS[line.event]
    if line.event == "ATTENDEDTRANSFER" and len(line.data) > 5:
        index = len(line.data) - 2  # LINK|chan1|chan2|holdtime|calltime|origposition
    return seconds(line.data, index, "calltime")


def seconds(data: list[str], index: int, what: str) -> float | None:
    """A duration field, None when absent (older Asterisk), LineError when malformed."""
    if index >= len(data) or data[index].strip() == "":
        return None
    try:
        value = float(data[index])
    except ValueError:
        raise LineError(f"bad {what}: {data[index][:30]!r} is not a number of seconds") from None
    if not math.isfinite(value):  # float() reads "nan" and "inf"; no database stores NaN
        raise LineError(f"bad {what}: {data[index][:30]!r} is not a number of seconds")
    if value < 0:
        raise LineError(f"bad {what}: {value} is negative")
    return value


HASHED = "pseudonym:"  # a caller id already replaced by its keyed hash (quarantined lines)


def without_caller_number(raw: str) -> str:
    """A quarantined line as it is stored: an ENTERQUEUE keeps its caller id only as a keyed
    hash (phone numbers are personal data and never stored), and a NUL byte is shown as ``␀``
    (U+2400; no PostgreSQL text holds a NUL)."""
    raw = raw.replace("\x00", "\u2400")
    parts = raw.split("|")
    if len(parts) > 6 and parts[4].strip().upper() == "ENTERQUEUE" and parts[6].strip():
        if not parts[6].startswith(HASHED):
            hashed = ingest.pseudonym(parts[6])
            parts[6] = f"{HASHED}{hashed}" if hashed else ""
        return "|".join(parts)
    return raw


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # Asterisk writes caller names in whatever the trunk sent
