"""Start ``python -m servicelevel ...`` runs without paying the interpreter's start-up each time.

The kill tests start the CLI dozens of times and kill it with SIGKILL. A fresh interpreter spends
seconds importing SQLAlchemy, pandas and Alembic before it touches the database, and a kill
there tests nothing. So a server process imports the package once, then forks one child per
run; the child runs the ``servicelevel`` module as ``python -m`` would, from its first line of
CLI code, and dies by SIGKILL like any process.

Run as a script, this file is the server (one child at a time; lines of JSON on stdin):
``{"argv": [...], "stderr": path}`` starts a child and answers ``started <pid>``; ``kill``
sends SIGKILL to the running child; when the child ends the server answers ``exited <code>``
(a negative code is the signal that ended it, as in ``subprocess``). Only the server reaps its
child, so a kill can never reach a reused pid. ``ForkServer`` is the test side.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import select
import signal
import subprocess
import sys
from pathlib import Path

POLL_S = 0.005


# --------------------------------------------------------------------------------------------
# the server (this file run as a script)
# --------------------------------------------------------------------------------------------


def _warm_up(package: str = "servicelevel") -> None:
    """Import the package (but the dashboard, which an import never needs) before any fork."""
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, package + "."):
        if info.name == "servicelevel.dashboard" or info.name.endswith("__main__"):
            continue
        try:
            _warm_up(info.name) if info.ispkg else importlib.import_module(info.name)
        except Exception:  # a module that fails to import is the child's problem
            continue


def _child(argv: list[str], stderr: str) -> None:
    """In the forked child: fresh standard streams, then ``python -m servicelevel argv``."""
    import runpy

    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    sys.argv = ["servicelevel", *argv]
    code = 0
    try:
        runpy.run_module("servicelevel", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # reported like an uncaught error of the interpreter
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _Lines:
    """Whole lines from a file descriptor, with or without waiting (no hidden read-ahead)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, timeout: float | None) -> str | None:
        """The next line; None when none came within ``timeout``; EOFError at the end."""
        while b"\n" not in self.buffer:
            readable, _, _ = select.select([self.fd], [], [], timeout)
            if not readable:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


def _serve() -> None:
    _warm_up()
    requests = _Lines(sys.stdin.fileno())

    def answer(text: str) -> None:
        os.write(sys.stdout.fileno(), text.encode() + b"\n")

    while True:
        try:
            line = requests.next(None)
        except EOFError:
            return
        if line is None or line.strip() in ("", "kill"):  # a kill that came after the end
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request["argv"], request["stderr"])
        answer(f"started {pid}")
        while True:
            try:
                if requests.next(POLL_S) == "kill":
                    os.kill(pid, signal.SIGKILL)  # not reaped yet (only this loop reaps): ours
            except EOFError:
                os.kill(pid, signal.SIGKILL)  # the test went away: so does its run
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                answer(f"exited {os.waitstatus_to_exitcode(status)}")
                break


# --------------------------------------------------------------------------------------------
# the test side
# --------------------------------------------------------------------------------------------


class ForkServer:
    """A running server; ``start`` one run at a time, then ``poll``, ``kill`` and ``wait`` it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.answers = _Lines(self.process.stdout.fileno())
        self.returncode: int | None = None

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")

    def _exited(self, timeout: float | None) -> int | None:
        try:
            answer = self.answers.next(timeout)
        except EOFError:
            raise RuntimeError(f"the fork server ended (code {self.process.wait()})") from None
        if answer is None:
            return None
        assert answer.startswith("exited "), answer
        return int(answer.split()[1])

    def start(self, argv: list[str], stderr: Path) -> int:
        """Fork a child running ``python -m servicelevel argv``; returns its pid."""
        self.returncode = None
        self._send(json.dumps({"argv": argv, "stderr": str(stderr)}))
        answer = self.answers.next(None) or ""
        assert answer.startswith("started "), answer
        return int(answer.split()[1])

    def poll(self) -> int | None:
        """The child's exit code once it has ended, else None."""
        if self.returncode is None:
            self.returncode = self._exited(0)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the child, unless it already ended."""
        if self.poll() is None:
            self._send("kill")

    def wait(self) -> int:
        while self.returncode is None:
            self.returncode = self._exited(None)
        return self.returncode

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        if self.process.stdout is not None:  # else garbage collection warns (warnings are errors)
            self.process.stdout.close()


if __name__ == "__main__":
    _serve()
