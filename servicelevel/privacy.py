"""What may reach a screen or a message: personal data masked, in one place for every reader.

Why one module: the dashboard (the Sources page, the banner), the weekly email and the alerts
all show text that came from a source: quarantined rows, reasons, error messages. The store
keeps them whole (a quarantined row must be replayable once its cause is fixed), so what is
shown is masked on the way out, by these rules, whoever shows it. Each rule, and why:

* **Agent channels** (``SIP/john.smith-0001``, ``PJSIP/alice``, ``Local/7946@agents/n``,
  ``Agent/7``): Asterisk names a channel ``TECH/resource-suffix`` and the resource is often the
  agent's login or extension. The technology stays (it helps to debug a line), the rest goes:
  ``SIP/[agent]``. Only known channel technologies are matched, so ``and/or`` or a path stay.
* **E-mail addresses** become ``[email]``.
* **Phone-like digit runs**: six digits or more, with up to three separators between two digits
  (spaces, dots, commas, dashes, slashes, brackets) and an optional leading ``+`` or ``(``:
  ``+44 (20) 7946-0958``, ``555.0199``, ``5 5 5 0 1 9 9``, ``555,0199`` become ``######``. Six,
  because the shortest subscriber numbers in use have six digits, and a number may be written
  any way at all; five-digit postcodes, times of day (``12:30``) and dates (``2026-03-10``,
  ``10/03/2026 14:05``: no one's number, and what an editor most often needs to see in a row
  that failed) stay. The rule also catches
  **card numbers** (13 to 19 digits, grouped or not) and account numbers; timestamps and long
  call ids are masked too, which the reason and the location of a row make up for.
* **Names**: a title followed by a capitalised word (``Mr Smith``, ``Dr. Alice Martin``) or two
  capitalised words or more in a row (``John Smith``) become ``[name]``. This is a heuristic:
  it also hides a two-word product name, and it cannot see a name written in lower case in free
  text. That is why raw rows are shown to editors only, and a complaint's nature is a category
  from the collector, never its free text (``servicelevel.collectors.mapped.categories``).
* **Quoted values** in reasons and errors (``'John Smith'``, ``"0612345678"``): collectors and
  drivers quote the value they could not read, which is a value of the row. They become
  ``'…'``, so a reason or an error says what went wrong without whose row it was (and alike
  reasons count together).
* In a **raw queue_log line** (``epoch|callid|queue|agent|event|data...``) the agent field is a
  person (a member name or a channel) whatever it looks like: it becomes ``[agent]``.
* In a **raw mapped row** (the JSON copy a mapped collector keeps) a customer id already
  replaced by its keyed hash is still pseudonymous personal data: it becomes ``[pseudonym]``.
"""

from __future__ import annotations

import json
import re

DIGITS_MASK = "######"
EMAIL_MASK = "[email]"
NAME_MASK = "[name]"
AGENT_MASK = "[agent]"
PSEUDONYM_MASK = "[pseudonym]"
QUOTED_MASK = "…"
PSEUDONYM_PREFIX = "pseudonym:"  # how collectors mark an id replaced by its keyed hash

# Asterisk channel technologies (chan_*), and Agent/ and Local/ pseudo-channels.
_TECHS = (
    "SIP|PJSIP|IAX2?|DAHDI|Zap|Local|Agent|Console|Skinny|SCCP|MGCP|H323|OOH323|UNISTIM|"
    "Motif|WebRTC|Dongle|mISDN|CAPI|Jingle|Gtalk|Multicast|USTM|Bridge|Announcer|Recorder|"
    "ConfBridge|Surrogate|AudioSocket|Unicast|RTP"
)
_CHANNEL = re.compile(rf"(?i)\b({_TECHS})/[^\s|,;\"'<>()\[\]{{}}]+")
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+")
_SEPARATOR = r"[\s.,\-/()\u2010-\u2015]"
_DIGITS = re.compile(rf"(?:\+|\()?\d(?:{_SEPARATOR}{{0,3}}\d){{5,}}")
# 2026-03-10, 2026/03/10, 10/03/2026, 3/10/26, 10.03.2026, with a time of day or not.
_DATE = re.compile(
    r"(?<![\d+])(?<!\d[.,/\-])"
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})"
    r"|\d{1,2}\.\d{1,2}\.\d{4})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"(?![\d.,/-]?\d)"
)
_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Mme|Mlle|Herr|Frau|Sr|Sra"
_WORD = r"[A-Z][\w'’-]*"
_TITLED = re.compile(rf"\b(?:{_TITLES})\.?\s+{_WORD}(?:\s+{_WORD})*")
_CAPITALISED = re.compile(r"\b[A-Z][a-z][\w'’-]*(?:\s+[A-Z][a-z][\w'’-]*)+")
# A quote opens after a non-word character and closes before one, so "can't" or "the
# operation's" are not quotes.
_QUOTED = re.compile(r"(?<!\w)(['\"])(?:(?!\1).){1,300}?\1(?!\w)")


def _is_date(match: re.Match[str]) -> bool:
    first, second, third = re.findall(r"\d+", match.group("date"))
    if len(first) == 4:  # year first
        return 1 <= int(second) <= 12 and 1 <= int(third) <= 31
    a, b = int(first), int(second)
    return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= a <= 31 and 1 <= b <= 12)


def _names(match: re.Match[str]) -> str:
    before = match.string[max(match.start() - 8, 0) : match.start()]
    # "in column Queue Start": a reason names the mapping's column, which is configuration.
    return match.group(0) if re.search(r"\bcolumns? $", before) else NAME_MASK


def mask_text(text: str | None) -> str:
    """``text`` with agent channels, e-mail addresses, phone-like digit runs and names masked."""
    if not text:
        return ""
    # Dates and times are kept aside first: they are not anyone's number, and a raw row's date
    # is what an editor most often needs to see.
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        if not _is_date(match):
            return match.group(0)
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _DATE.sub(keep, text)
    text = _CHANNEL.sub(lambda m: f"{m.group(1)}/{AGENT_MASK}", text)
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _DIGITS.sub(DIGITS_MASK, text)
    text = _TITLED.sub(_names, text)
    text = _CAPITALISED.sub(_names, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def mask_message(text: str | None) -> str:
    """A reason or an error message: quoted values masked, then everything :func:`mask_text`
    masks."""
    if not text:
        return ""
    return mask_text(_QUOTED.sub(_unquote, text))


def _unquote(match: re.Match[str]) -> str:
    quote = match.group(1)
    if not any(c.isalnum() for c in match.group(0)):
        return match.group(0)  # punctuation ("expected 5 '|'-separated fields"): not a value
    return f"{quote}{QUOTED_MASK}{quote}"


def _looks_like_queue_log(fields: list[str]) -> bool:
    return len(fields) >= 5 and re.fullmatch(r"[A-Z_]{3,40}", fields[4].strip()) is not None


def _mask_value(value: object) -> object:
    if isinstance(value, str):
        if value.startswith(PSEUDONYM_PREFIX):
            return PSEUDONYM_MASK
        return mask_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return mask_text(str(value)) if len(str(abs(int(value)))) >= 6 else value
    return mask_text(str(value))


def mask_raw(raw: str | None) -> str:
    """A quarantined input row as an editor may see it (viewers never see raw rows)."""
    if not raw:
        return ""
    stripped = raw.strip()
    if stripped.startswith("{"):
        try:
            row = json.loads(stripped)
        except ValueError:
            row = None
        if isinstance(row, dict):
            # The keys are the mapping's column names: configuration, not anyone's data.
            masked = {str(k): _mask_value(v) for k, v in row.items()}
            return json.dumps(masked, ensure_ascii=False)
    fields = raw.split("|")
    if _looks_like_queue_log(fields):
        if fields[3].strip() not in ("", "NONE"):
            fields[3] = AGENT_MASK
        fields = [
            PSEUDONYM_MASK if f.startswith(PSEUDONYM_PREFIX) else mask_text(f) for f in fields
        ]
        return "|".join(fields)
    return mask_text(raw)
