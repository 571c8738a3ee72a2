"""``servicelevel/__init__.py`` states the public API; these tests stop it drifting.

Pattern from httpx ``tests/test_exported_members.py``: every name in ``__all__`` imports, and
``__all__`` is exactly the public names the package defines. Ours load lazily (see the
package docstring), so the runtime table ``_LAZY``, the ``TYPE_CHECKING`` imports type checkers
read, and ``__all__`` must name the same things.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import subprocess
import sys
from pathlib import Path

import servicelevel

INIT = Path(servicelevel.__file__)


def _isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022 order: CONSTANTS, then Classes, then everything else."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _type_checking_imports() -> dict[str, str]:
    """name -> module of every ``from X import name`` under ``if TYPE_CHECKING:``."""
    tree = ast.parse(INIT.read_text())
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.unparse(stmt)
                for alias in stmt.names:
                    out[alias.asname or alias.name] = stmt.module
    return out


def test_all_is_sorted() -> None:
    assert servicelevel.__all__ == sorted(servicelevel.__all__, key=_isort_key)


def test_every_name_in_all_imports() -> None:
    for name in servicelevel.__all__:
        assert getattr(servicelevel, name) is not None, name
        namespace: dict[str, object] = {}
        exec(f"from servicelevel import {name}", namespace)
        assert name in namespace


def test_all_is_exactly_the_public_names() -> None:
    lazy = servicelevel._LAZY
    assert set(servicelevel.__all__) == {*lazy, "__version__"}
    assert _type_checking_imports() == lazy
    for name in servicelevel.__all__:
        getattr(servicelevel, name)  # load them all, then nothing else may be public
    defined = {
        name
        for name, value in vars(servicelevel).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in {"annotations", "importlib", "TYPE_CHECKING", "Any"}
    }
    assert defined == set(lazy)
    assert set(servicelevel.__all__) <= set(dir(servicelevel))


def test_each_name_is_the_object_its_module_defines() -> None:
    for name, module in servicelevel._LAZY.items():
        assert getattr(servicelevel, name) is getattr(importlib.import_module(module), name)


def test_unknown_names_are_attribute_errors() -> None:
    try:
        servicelevel.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("servicelevel.no_such_name did not raise")


def test_the_version_is_the_installed_distributions() -> None:
    assert servicelevel.__version__ == importlib.metadata.version("servicelevel")


def test_importing_the_package_stays_cheap() -> None:
    """``servicelevel --help`` and every submodule import run this first: no Dash, no pandas."""
    code = (
        "import sys, servicelevel\n"
        "heavy = {'dash', 'flask', 'pandas', 'sqlalchemy', 'matplotlib', 'pydantic'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
