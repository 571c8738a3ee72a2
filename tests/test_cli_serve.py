"""The two long-running commands as users start them: ``servicelevel demo`` and ``serve``.

Each runs as a real process on a free port; the test waits for the Live page, checks the
production server (waitress, not Flask's development server) answers on localhost only, then
stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from servicelevel.store import make_engine

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_page(process: subprocess.Popen[bytes], url: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:  # an answer all the same (401 before login)
            return exc.code, exc.headers, exc.read().decode()
        except OSError:
            if process.poll() is not None:
                out = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the command exited with {process.returncode}:\n{out}")
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.3)


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "servicelevel", *args],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()  # else an unclosed-file ResourceWarning (warnings are errors)


def test_demo_serves_the_wallboard_with_waitress(tmp_path):
    port = _free_port()
    demo = _run(["demo", "--port", str(port), "--history-days", "2", "--dir", str(tmp_path)], ROOT)
    try:
        status, headers, page = _wait_for_page(demo, f"http://127.0.0.1:{port}/live")
        assert status == 200 and "servicelevel" in page
        assert headers["Server"] == "servicelevel"  # waitress's ident, not Werkzeug's dev server
    finally:
        _stop(demo)


def test_serve_asks_for_a_login_and_binds_localhost(tmp_path):
    port = _free_port()
    # serve only reads: the store must exist first (``db upgrade``; see test_cli_read_only.py).
    make_engine(f"sqlite:///{tmp_path / 'store.db'}").dispose()
    serve = _run(
        ["serve", "--no-scheduler", "--port", str(port), "--targets", str(ROOT / "targets.toml")],
        tmp_path,
        SERVICELEVEL_DB=f"sqlite:///{tmp_path / 'store.db'}",
        SERVICELEVEL_USERS=str(tmp_path / "users.toml"),
    )
    try:
        status, _headers, page = _wait_for_page(serve, f"http://127.0.0.1:{port}/live")
        assert status == 200 and "Sign in" in page  # redirected to the login form
        others = [  # nothing may listen on the machine's other addresses
            a.address
            for addrs in psutil.net_if_addrs().values()
            for a in addrs
            if a.family == socket.AF_INET and not a.address.startswith("127.")
        ]
        for address in others:
            with socket.socket() as probe:
                probe.settimeout(2)
                assert probe.connect_ex((address, port)) != 0, address
    finally:
        _stop(serve)
