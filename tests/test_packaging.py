"""A wheel install runs the demo, as a new user would: ``pip install servicelevel`` then
``servicelevel demo``.

The editable install of the checkout hides missing package data (the files are all there on
disk), so this builds a real wheel from a clean copy of the sources, installs it in a fresh
venv, and starts ``servicelevel demo`` from an empty folder with ``PYTHONPATH`` unset. The venv
reuses the already installed dependencies (``--system-site-packages``) to stay offline and fast,
and the test checks that ``servicelevel`` itself is imported from the venv, not the checkout.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

# What `servicelevel demo` (and the rest of a running install) reads from the package at run time.
PACKAGE_DATA = (
    "servicelevel/py.typed",
    "servicelevel/examples/targets.toml",
    "servicelevel/dashboard/assets/servicelevel.css",
    "servicelevel/dashboard/assets/00-bootstrap.min.css",
    "servicelevel/dashboard/assets/keep-open.js",
    "servicelevel/store/migrations/env.py",
    "servicelevel/store/migrations/script.py.mako",
    "servicelevel/store/migrations/versions/0001_initial_schema.py",
    "servicelevel/reports/templates/email/weekly-body.html",
    "servicelevel/reports/templates/email/weekly-body.txt",
    "servicelevel/reports/templates/email/weekly-subject.txt",
    "servicelevel/reports/templates/email/weekly-assessment.html",
    "servicelevel/reports/templates/email/weekly-assessment.txt",
    "servicelevel/reports/templates/email/alert-body.html",
    "servicelevel/reports/templates/email/alert-body.txt",
    "servicelevel/reports/templates/email/alert-subject.txt",
)


def _clean_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH pointing at a checkout, no active venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _check(args: list[str | Path], cwd: Path) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of what the sdist would hold (a stale build/ cannot leak in)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(
        ROOT / "servicelevel",
        src / "servicelevel",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, src], src)
    (built,) = out.glob("servicelevel-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv with the wheel installed; its own servicelevel shadows the editable one."""
    root = tmp_path_factory.mktemp("venv")
    _check([sys.executable, "-m", "venv", "--system-site-packages", root], root)
    python = root / "bin" / "python"
    install = ["install", "-q", "--no-deps", "--force-reinstall", "--no-index", wheel]
    _check([python, "-m", "pip", *install], root)
    return root


def test_the_wheel_holds_everything_the_demo_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in PACKAGE_DATA if name not in names]
    assert missing == []
    assert not [n for n in names if n.startswith("tests/")], "tests must not ship in the wheel"


def test_the_venv_imports_servicelevel_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    out = _check(
        [venv / "bin" / "python", "-c", "import servicelevel; print(servicelevel.__file__)"],
        tmp_path,
    )
    location = Path(out.strip()).resolve()
    assert location.is_relative_to(venv.resolve()), location
    assert not location.is_relative_to(ROOT), location


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> tuple[int, str]:
    """Poll ``url`` until the server answers; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            if process.poll() is not None:
                out = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"servicelevel demo exited with {process.returncode}:\n{out}")
            assert time.monotonic() < deadline, f"{url} did not answer in {timeout} s"
            time.sleep(0.3)


def test_servicelevel_demo_from_the_wheel_serves_live(venv: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "somewhere"  # empty: no ./targets.toml to fall back on
    cwd.mkdir()
    port = _free_port()
    args = ["demo", "--port", str(port), "--history-days", "2", "--dir", str(tmp_path / "demo")]
    demo = subprocess.Popen(
        [venv / "bin" / "servicelevel", *args],
        cwd=cwd,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        status, page = _get(f"http://127.0.0.1:{port}/live", demo)
        assert status == 200 and "servicelevel" in page
        # The stylesheet is package data too: the page links it and the server has it.
        assert "/assets/servicelevel.css" in page
        css_status, css = _get(f"http://127.0.0.1:{port}/assets/servicelevel.css", demo)
        assert css_status == 200 and css.strip()
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
