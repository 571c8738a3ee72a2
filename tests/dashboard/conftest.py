"""Fixtures of the dashboard tests; the test site itself is described in ``dashsite``.

``site`` is built on ``db_url``, so every test that uses it runs twice: ids ``sqlite`` and
``postgresql`` (the throwaway server of the top-level conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashsite import Site, make_site


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> Iterator[Site]:
    built = make_site(tmp_path, db_url)
    try:
        yield built
    finally:
        built.engine.dispose()
