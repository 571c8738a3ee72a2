"""Where a key is written in a TOML text: the line for a validation location."""

from __future__ import annotations

from collections.abc import Sequence

# --- where a key is written ------------------------------------------------------------


def locate_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line that best matches a validation location such as ("target", 1, "kpi").

    That is the `kpi = ...` line inside the second [[target]] table if there is one, else
    the nearest enclosing header or key (a missing key points at its table's header).
    """
    want = tuple(loc)
    best, best_len = None, -1
    for path, line in _key_lines(text):
        if len(path) > best_len and want[: len(path)] == path:
            best, best_len = line, len(path)
    return best


def _key_lines(text: str) -> list[tuple[tuple[str | int, ...], int]]:
    """(path, line) for every table header and every key = value line, in order.

    Arrays of tables get their 0-based index in the path, as pydantic does:
    ("target", 1) is the second [[target]] header, ("target", 1, "kpi") a key in it.
    """
    entries: list[tuple[tuple[str | int, ...], int]] = []
    counts: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None  # the closing quotes of a multi-line string we're inside
    depth = 0  # open brackets of a value spanning lines
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_string is not None or depth > 0 or not stripped or stripped.startswith("#"):
            in_string, depth = _scan_value(line, in_string, depth)
            continue
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            inner = stripped[2:] if is_array else stripped[1:]
            parts = _split_key(inner[: max(_find_unquoted(inner, "]"), 0)])
            if parts:
                table = _resolve_header(parts, is_array, counts, entries, number)
                entries.append((table, number))
            continue
        equals = _find_unquoted(stripped, "=")
        if equals > 0:
            entries.append((table + tuple(_split_key(stripped[:equals])), number))
            in_string, depth = _scan_value(stripped[equals + 1 :], None, 0)
    return entries


def _resolve_header(
    parts: list[str],
    is_array: bool,
    counts: dict[tuple[str | int, ...], int],
    entries: list[tuple[tuple[str | int, ...], int]],
    number: int,
) -> tuple[str | int, ...]:
    path: tuple[str | int, ...] = ()
    for i, part in enumerate(parts):
        path += (part,)
        if is_array and i == len(parts) - 1:
            index = counts.get(path, -1) + 1
            if index == 0:
                entries.append((path, number))  # the first header also stands for the array
            counts[path] = index
            path += (index,)
        elif path in counts:
            path += (counts[path],)
    return path


def _scan_value(chunk: str, in_string: str | None, depth: int) -> tuple[str | None, int]:
    """Carry multi-line string and bracket state across one line of a value."""
    i = 0
    while i < len(chunk):
        if in_string is not None:
            end = chunk.find(in_string, i)
            if end < 0:
                return in_string, depth
            i, in_string = end + 3, None
            continue
        c = chunk[i]
        if c == "#":
            break
        if chunk.startswith('"""', i) or chunk.startswith("'''", i):
            in_string, i = chunk[i : i + 3], i + 3
            continue
        if c in "\"'":
            i = _string_end(chunk, i) + 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return in_string, depth


def _string_end(s: str, start: int) -> int:
    quote, i = s[start], start + 1
    while i < len(s) and s[i] != quote:
        i += 2 if quote == '"' and s[i] == "\\" else 1
    return i


def _find_unquoted(s: str, char: str) -> int:
    i = 0
    while i < len(s):
        if s[i] == char:
            return i
        i = _string_end(s, i) + 1 if s[i] in "\"'" else i + 1
    return -1


def _split_key(key: str) -> list[str]:
    """'a."b.c" . d' -> ["a", "b.c", "d"]; [] if it isn't a key."""
    parts, i, current = [], 0, ""
    while i < len(key):
        c = key[i]
        if c in "\"'":
            end = _string_end(key, i)
            current += key[i + 1 : end]
            i = end + 1
            continue
        if c == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += c
        i += 1
    parts.append(current.strip())
    return parts if all(parts) else []
