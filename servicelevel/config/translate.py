"""Pydantic validation errors in words for an analyst, located at the line that holds the key.

One translator for every model a person writes (targets, delivery settings, mappings): the
same mistake reads the same wherever it is made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
)

from servicelevel.config.issues import ConfigIssue, _fmt, _show, _suggest
from servicelevel.config.locate import locate_line


def _location(err: Any) -> tuple[Any, ...]:
    # "function-after[...]" and the like are pydantic's names for validators, never a key.
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    return loc + tuple((err.get("ctx") or {}).get("at", ()))


def _without_echoes(errors: list[Any], root: type[BaseModel]) -> list[Any]:
    """Drop "missing minimum" when the same table has "minimun": one typo, one issue."""
    misspelt = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _location(err)
            nearest = _suggest(loc[-1], _allowed_keys(loc[:-1], root))
            if nearest is not None:
                misspelt.add((*loc[:-1], nearest))

    def is_missing(err: Any) -> bool:
        return err["type"] == "missing" or bool((err.get("ctx") or {}).get("missing"))

    return [err for err in errors if not (is_missing(err) and _location(err) in misspelt)]


def key_path(loc: Sequence[str | int]) -> str:
    """How a location reads in an issue: ``("target", 1, "kpi")`` -> ``target[2].kpi``."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_EXPECTED = {
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a number",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": 'expected text in double quotes, e.g. "support"',
    "list_type": 'expected a list in square brackets, e.g. ["*"]',
    "tuple_type": 'expected a list in square brackets, e.g. ["07:30", "17:00"]',
    "dict_type": "expected a table: a [section] or { key = value, ... }",
    "model_type": "expected a table: a [section] or { key = value, ... }",
    "model_attributes_type": "expected a table: a [section] or { key = value, ... }",
}


_TRUE_WORDS = {"true", "yes", "y", "on", "t", "1"}
_FALSE_WORDS = {"false", "no", "n", "off", "f", "0"}


def _as_it_should_be_written(kind: str, value: object) -> str | None:
    """The TOML a value given as the wrong type was surely meant as: ``"80"`` -> ``80``,
    ``"yes"`` -> ``true``, ``20.0`` for a whole number -> ``20``; None when there is no guess."""
    if kind in ("bool_type", "bool_parsing"):
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
            return "true" if value.strip().lower() in _TRUE_WORDS else "false"
        if isinstance(value, int) and value in (0, 1):
            return "true" if value else "false"
        return None
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d[\d_]*", value.strip()):
            return value.strip()
        return None
    if kind in ("float_type", "float_parsing") and isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return text if math.isfinite(number) else None
    return None


# A validator that raised a plain ValueError may have put its hint in the text; it is split off
# so the issue shows it the one way every issue does.
_HINT = re.compile(r'^(?P<message>.*?) \(did you mean "(?P<suggestion>[^"]*)"\?\)$', re.DOTALL)


def _plain_message(err: Any, loc: tuple[Any, ...], root: type[BaseModel]) -> tuple[str, str | None]:
    """Pydantic's error in words for an analyst, plus a did-you-mean if there is one."""
    kind, ctx, key = err["type"], err.get("ctx") or {}, loc[-1] if loc else ""
    if kind == "servicelevel":
        return ctx["message"], ctx.get("suggestion")
    if kind == "value_error":
        text = str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
        hinted = _HINT.match(text)
        return (hinted["message"], hinted["suggestion"]) if hinted else (text, None)
    if kind == "literal_error":
        choices = _literal_choices(loc, root) or re.findall(r"'([^']*)'", ctx.get("expected", ""))
        value = err.get("input")
        if not isinstance(value, str):
            return (
                f"expected one of {', '.join(choices)} in double quotes, got {_show(value)}",
                None,
            )
        what = next((p for p in reversed(loc) if isinstance(p, str)), "value")
        message = f"unknown {what} {_show(value)}; expected one of {', '.join(choices)}"
        return message, _suggest(value, choices)
    if kind == "missing":
        if loc == ("target",):
            return "no targets: add at least one [[target]] table", None
        description = _field_description(loc, root)
        return f'missing required key "{key}"' + (f": {description}" if description else ""), None
    if kind == "extra_forbidden":
        keys = _allowed_keys(loc[:-1], root)
        return f'unknown key "{key}"; expected one of {", ".join(keys)}', _suggest(key, keys)
    if kind in _EXPECTED:
        value = err.get("input")
        if kind == "int_type" and isinstance(value, float) and not math.isfinite(value):
            kind = "finite_number"  # nan is no number at all, whole or not
        message = f"{_EXPECTED[kind]}, got {_show(value)}"
        rewrite = _as_it_should_be_written(kind, value)
        if rewrite is not None and isinstance(key, str):
            message += f"; write {key} = {rewrite}"
            if isinstance(value, str):
                message += ", without quotes"
        return message, None
    if kind == "too_short":
        if loc == ("target",):
            return "no targets: add at least one [[target]] table", None
        return "must not be empty", None
    if kind == "string_too_short":
        return "must not be empty", None
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return (
            f"expected at most {n} character{'s' if n != 1 else ''}, got {_show(err.get('input'))}",
            None,
        )
    bounds = {
        "greater_than": "more than {}",
        "greater_than_equal": "{} or more",
        "less_than": "less than {}",
        "less_than_equal": "{} or less",
    }
    if kind in bounds:
        limit = next(iter(v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le")))
        expected = bounds[kind].format(_fmt(limit))
        return f"expected {expected}, got {_show(err.get('input'))}", None
    return err["msg"], None


def _model_at(loc: Sequence[Any], root: type[BaseModel]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    named = False  # the last field was a table of models by name: this part is a name
    for part in loc:
        if isinstance(part, int) or named:
            named = False
            continue
        info = _fields_by_key(model).get(part) if model else None
        if info is None:
            return None
        model = _inner_model(info.annotation)
        named = _is_named_table(info.annotation)
    return model


def _is_named_table(annotation: Any) -> bool:
    """``dict[str, Model]`` (or optional): its keys are names chosen by the user, not fields."""
    if get_origin(annotation) is dict:
        return True
    if get_origin(annotation) in (Union, UnionType):
        return any(get_origin(arg) is dict for arg in get_args(annotation))
    return False


def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(loc: Sequence[Any], root: type[BaseModel]) -> list[str]:
    model = _model_at(loc, root)
    return list(_fields_by_key(model)) if model else []


def _literal_choices(loc: Sequence[Any], root: type[BaseModel]) -> list[str]:
    """The values a ``Literal[...]`` field at ``loc`` allows (a list's items included)."""
    names = list(loc)
    while names and isinstance(names[-1], int):
        names.pop()
    model = _model_at(names[:-1], root) if names else None
    info = _fields_by_key(model).get(names[-1]) if model else None
    return [str(v) for v in _literal_values(info.annotation)] if info else []


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        if values := _literal_values(arg):
            return values
    return ()


def _field_description(loc: Sequence[Any], root: type[BaseModel]) -> str | None:
    model = _model_at(loc[:-1], root)
    info = _fields_by_key(model).get(loc[-1]) if model else None
    return info.description if info else None


def located_issue(
    text: str,
    filename: str,
    loc: Sequence[str | int],
    message: str,
    suggestion: str | None = None,
) -> ConfigIssue:
    """An issue found by our own checks (not pydantic's) at ``loc``, worded like the others."""
    return ConfigIssue(filename, locate_line(text, loc), key_path(loc), message, suggestion)


def validation_issues(
    error: ValidationError,
    text: str,
    filename: str,
    root: type[BaseModel],
    prefix: tuple[Any, ...] = (),
) -> list[ConfigIssue]:
    """Every error of a pydantic validation of ``root`` as located issues, in file order.

    ``prefix`` is where the validated table sits in the file (e.g. ``("report",)`` for the
    delivery settings), so lines and key paths are those a person sees in the file.
    """
    issues = []
    for err in _without_echoes(error.errors(), root):
        loc = _location(err)
        message, suggestion = _plain_message(err, loc, root)
        issues.append(located_issue(text, filename, (*prefix, *loc), message, suggestion))
    issues.sort(key=lambda i: (i.line is None, i.line or 0))
    return issues
