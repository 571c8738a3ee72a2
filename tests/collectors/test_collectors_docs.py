"""docs/collectors.md can't rot: every kind, mapping key, field and source key is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicelevel.cli import IMPORT_KINDS
from servicelevel.collectors.mapped.mapping import (
    FIELDS,
    FieldSpec,
    Mapping,
    SkipRule,
    SourceConfig,
)
from servicelevel.collectors.registry import COLLECTORS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "collectors.md").read_text(encoding="utf-8")
NAMES = sorted(
    {*IMPORT_KINDS, *COLLECTORS, *Mapping.model_fields, *FieldSpec.model_fields,
     *SkipRule.model_fields, *SourceConfig.model_fields,
     *(field for fields in FIELDS.values() for field in fields)}
)  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_it_is_documented(name):
    assert f"`{name}`" in DOC, f"docs/collectors.md does not mention `{name}`"
