"""Fixtures of the dashboard tests; the test site itself is described in ``dashsite``."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashsite import Site, make_site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)
