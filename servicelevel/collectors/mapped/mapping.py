"""Mappings: how another system's export becomes our facts, and the ``[[source]]`` tables.

A call-centre switch, a CRM or a survey tool exports rows with *its* column names and time
formats. A mapping (a small TOML file, or the same keys inside a ``[[source]]`` table of
targets.toml) says which column feeds which of our fields and how to read it. People write
mappings by hand, so every problem is reported like a targets.toml problem, with the file, the
line and the key::

    genesys.toml:9: columns.entred_at: unknown field for calls; expected one of ... (did you mean
    "entered_at"?)

Validation errors are worded by the translator targets.toml uses
(:func:`servicelevel.config.validation_issues`). The models are :mod:`.models`, our fields
:mod:`.fields`; both are re-exported here. The reference is docs/collectors.md. Reading rows
with a mapping is :mod:`.records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError
from tomlkit.exceptions import ParseError, TOMLKitError

from servicelevel.collectors.mapped.fields import (
    FACT_KINDS,
    FIELDS,
    OUTCOMES,
    SURVEY_IN_COMPLAINT,
    FactKind,
    FieldInfo,
)
from servicelevel.collectors.mapped.models import (
    FieldSpec,
    Locator,
    Mapping,
    SkipRule,
    SourceConfig,
)
from servicelevel.collectors.registry import COLLECTORS
from servicelevel.config import ConfigIssue, validation_issues
from servicelevel.errors import ConfigError

__all__ = [
    "FACT_KINDS",
    "FIELDS",
    "OUTCOMES",
    "SURVEY_IN_COMPLAINT",
    "FactKind",
    "FieldInfo",
    "FieldSpec",
    "Locator",
    "Mapping",
    "MappingInvalid",
    "SkipRule",
    "SourceConfig",
    "load_mapping",
    "load_sources",
    "parse_mapping",
]


class MappingInvalid(ConfigError):
    """A mapping or ``[[source]]`` table has problems; ``errors`` lists them, each located."""

    def __init__(self, errors: Sequence[ConfigIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid mapping")


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomlkit.parse(text).unwrap()
    except ParseError as e:
        raise MappingInvalid([ConfigIssue(file, e.line, "", f"not valid TOML: {e}")]) from None
    except TOMLKitError as e:
        raise MappingInvalid([ConfigIssue(file, None, "", f"not valid TOML: {e}")]) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingInvalid([ConfigIssue(str(path), None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise MappingInvalid([ConfigIssue(str(path), None, "", f"cannot read: {e}")]) from None


def load_mapping(path: str | Path, kind: str | None = None) -> Mapping:
    """Read and check a mapping file for fact ``kind`` (default: its own ``kind`` key)."""
    path = Path(path)
    text = _read(path)
    return parse_mapping(text, str(path), kind)


def parse_mapping(text: str, file: str, kind: str | None = None) -> Mapping:
    data = _parse_toml(text, file)
    where = Locator(file, text)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        raise MappingInvalid(validation_issues(exc, text, file, Mapping)) from None
    kind = kind or mapping.kind
    if kind is None:
        raise MappingInvalid([where.issue((), 'missing key "kind": ' + ", ".join(FACT_KINDS))])
    issues = mapping.issues(kind, where)
    if issues:
        raise MappingInvalid(issues)
    return mapping


def load_sources(targets_path: str | Path, entries: list[dict[str, Any]]) -> list[SourceConfig]:
    """Validate the ``[[source]]`` tables of a targets file (mapping files they name included)."""
    targets_path = Path(targets_path)
    text = targets_path.read_text(encoding="utf-8-sig") if targets_path.exists() else ""
    issues: list[ConfigIssue] = []
    out: list[SourceConfig] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = Locator(str(targets_path), text, ("source", i))
        data = dict(entry)
        mapping_file = data.get("mapping")
        mapping_where = where
        if isinstance(mapping_file, str):
            mpath = (targets_path.parent / mapping_file).resolve()
            try:
                mtext = _read(mpath)
                mdata = _parse_toml(mtext, mapping_file)
            except MappingInvalid as exc:
                issues += [
                    where.issue(("mapping",), f"{mapping_file}: {e.message}") for e in exc.errors
                ]
                continue
            overlap = sorted(set(mdata) & set(data) - {"kind", "name", "mapping"})
            if overlap:
                issues.append(
                    where.issue(
                        (overlap[0],), f"also set in {mapping_file}; set mapping keys in one place"
                    )
                )
                continue
            mdata.pop("kind", None)
            mdata.pop("name", None)
            data.update(mdata)
            mapping_where = Locator(mapping_file, mtext)
        try:
            source = SourceConfig.model_validate(data)
        except ValidationError as exc:
            issues += validation_issues(exc, text, str(targets_path), SourceConfig, ("source", i))
            continue
        if source.name in names:
            issues.append(
                where.issue(
                    ("name",),
                    f'"{source.name}" is already used by source[{names[source.name] + 1}]',
                )
            )
        names.setdefault(source.name, i)
        issues += COLLECTORS[source.kind].validate(source, where, mapping_where)
        out.append(source)
    if issues:
        raise MappingInvalid(issues)
    return out
