"""The package layout rules of docs STYLE.md section 1, checked on the source.

* The core never imports ``servicelevel.collectors`` or ``servicelevel.dashboard``: the library
  must work (and test) without a source or a web server. Only the wiring modules (the CLI and
  the demo) put the three together.
* The dashboard never imports the collectors: it reads the store, whatever filled it.
* Nothing but the wiring imports the wiring, so the two rules above also hold transitively.
* No module over 500 lines (STYLE.md: "Split ours past ~500 lines"). Exceptions would be listed
  in ``TOO_LONG`` (empty now), and the list may only shrink.

Every module is parsed with ``ast`` (nothing is imported), so the rules see imports inside
functions and ``TYPE_CHECKING`` blocks too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "servicelevel"
MAX_LINES = 500

COLLECTORS = "servicelevel.collectors"
DASHBOARD = "servicelevel.dashboard"

# Modules that wire the parts together, so they may import anything.
WIRING_PREFIXES = (
    "servicelevel.cli",  # cli.py, or a cli/ package or cli_*.py modules if it is split
    "servicelevel.__main__",
)
WIRING = {
    "servicelevel.demo",  # the demo site feeds the store through the queue_log collector
    # Builds the documentation screenshots from a demo site (so from servicelevel.demo).
    "servicelevel.dashboard.screenshots",
}

# Modules allowed over MAX_LINES while they are being split (none left: every module is under it).
# Remove a line once its module is under the limit; never add one: split the module instead.
TOO_LONG: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_wiring(module: str) -> bool:
    return module in WIRING or any(
        module == p or module.startswith((p + ".", p + "_")) for p in WIRING_PREFIXES
    )


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved.

    ``from servicelevel import collectors`` yields ``servicelevel.collectors``, and a literal
    ``importlib.import_module("...")`` counts as an import as well.
    """
    is_package = path.name == "__init__.py"
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _violations() -> list[str]:
    modules = _modules()
    found = []
    for module, path in modules.items():
        if _is_wiring(module):
            continue
        where = path.relative_to(ROOT)
        for line, name in _imports(module, path):
            if not _under(name, "servicelevel"):
                continue
            if _under(module, COLLECTORS):
                forbidden = [DASHBOARD]
            elif _under(module, DASHBOARD):
                forbidden = [COLLECTORS]
            else:
                forbidden = [COLLECTORS, DASHBOARD]
            for package in forbidden:
                if _under(name, package):
                    found.append(f"{where}:{line} imports {name}")
            if _is_wiring(name) and name in modules:
                found.append(f"{where}:{line} imports the wiring module {name}")
    return sorted(set(found))


def test_the_import_rules_hold() -> None:
    assert _violations() == []


def test_the_rules_see_what_they_must(tmp_path: Path) -> None:
    """The checker itself: relative, ``from package import module`` and dynamic imports."""
    pkg = tmp_path / "servicelevel" / "dashboard"
    pkg.mkdir(parents=True)
    path = pkg / "x.py"
    path.write_text(
        "from ..collectors import runner\n"
        "from servicelevel import collectors\n"
        "def f():\n"
        "    import importlib\n"
        "    importlib.import_module('servicelevel.collectors.replay')\n"
    )
    names = {name for _line, name in _imports("servicelevel.dashboard.x", path)}
    assert {
        "servicelevel.collectors",
        "servicelevel.collectors.runner",
        "servicelevel.collectors.replay",
    } <= names


def _line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_no_new_module_is_over_the_line_limit() -> None:
    too_long = {
        str(p.relative_to(ROOT)): _line_count(p)
        for p in _modules().values()
        if _line_count(p) > MAX_LINES
    }
    new = {path: n for path, n in too_long.items() if path not in TOO_LONG}
    assert new == {}, f"split these modules below {MAX_LINES} lines (STYLE.md section 2)"


def test_the_known_long_modules_are_still_long() -> None:
    """Fails once a listed module is split: then delete its line from TOO_LONG."""
    stale = [
        k for k in sorted(TOO_LONG) if not (ROOT / k).exists() or _line_count(ROOT / k) <= MAX_LINES
    ]
    assert stale == [], "remove these from TOO_LONG"
