"""Render every dashboard page in headless Chromium to PNG files (for the README and docs).

    python -m servicelevel.dashboard.screenshots [--out docs/screenshots] [--size 1920x1080]
                                                 [--only live,kiosk-1366,...]

It builds a fresh demo site (simulated history, as ``servicelevel demo`` does) in a temporary
folder, frozen at a busy weekday moment of the last week when a target was breached (the
wallboard should show what a breach looks like; else the last weekday 11:30), serves the
dashboard on a free loopback port in a thread, and saves one PNG per page, plus the kiosk at
1366x768, 1920x1080 and 3840x2160 (``kiosk-1366.png``, ``kiosk-1920.png``, ``kiosk-4k.png``;
the 4K one reduced to a palette so it stays under a megabyte).
Needs Debian's ``chromium`` and ``chromium-driver`` (selenium comes with dash[testing]).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from servicelevel.config import Targets

ASTERISK_QUEUE_LOG = "/var/log/asterisk/queue_log"
# (file name, path, CSS selector that is there once the page has drawn)
PAGES = (
    ("live", "/live", "#live-tiles"),
    ("trends", "/trends", "#trends-grid .ag-row"),
    ("breaches", "/breaches", "#breaches-grid .ag-row"),
    ("queue", "/queue?queue=support", "#queue-grid .ag-row"),
    ("sources", "/sources", "#sources-grid .ag-row"),
    ("targets", "/targets", "#targets-grid .ag-row"),
)

# The wallboard at the sizes of real wall screens: (file name, width, height).
KIOSK_SIZES = (("kiosk-1366", 1366, 768), ("kiosk-1920", 1920, 1080), ("kiosk-4k", 3840, 2160))
KIOSK_READY = "#live-tiles[data-pages]"  # set by assets/kiosk.js once it has laid the tiles out
MAX_PNG_BYTES = 1_000_000


@contextmanager
def serving(app: object) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app.server, threaded=True)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def _viewport(driver: Any, width: int, height: int) -> None:
    """The viewport itself, not the window around it, is width x height."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _shoot(driver: Any, url: str, ready: str, target: Path) -> Path:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ready)))
    time.sleep(1.5)  # let Plotly and the grids finish laying out
    driver.save_screenshot(str(target))
    return target


def shrink_png(path: Path, max_bytes: int = MAX_PNG_BYTES) -> None:
    """Re-save a screenshot bigger than ``max_bytes`` with a 256-colour palette (flat UI
    colours survive it; a 4K wallboard drops from several MB to a few hundred kB)."""
    if path.stat().st_size <= max_bytes:
        return
    from PIL import Image

    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


def capture(
    base: str, out: Path, width: int, height: int, only: set[str] | None = None
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    driver = browser(width, height)
    saved = []
    try:
        _viewport(driver, width, height)
        for name, path, ready in PAGES:
            if only is None or name in only:
                saved.append(_shoot(driver, base + path, ready, out / f"{name}.png"))
        for name, w, h in KIOSK_SIZES:
            if only is not None and name not in only:
                continue
            _viewport(driver, w, h)
            saved.append(_shoot(driver, base + "/live?kiosk=1", KIOSK_READY, out / f"{name}.png"))
            shrink_png(saved[-1])
    finally:
        driver.quit()
    return saved


def busy_moment(tz: ZoneInfo, now: datetime) -> datetime:
    """The last weekday 11:30 (local) before ``now``: a busy hour makes telling pictures."""
    local = now.astimezone(tz).replace(hour=11, minute=30, second=0, microsecond=0)
    while local > now or local.weekday() >= 5:
        local -= timedelta(days=1)
    return local.astimezone(UTC)


def breach_moments(engine: Engine, targets: Targets, before: datetime) -> list[datetime]:
    """Busy weekday moments of the week before ``before`` when a quarter-hour target was
    breached, latest first: 12 minutes into each breached quarter (so most of it is counted),
    between 09:00 and 17:00 local time."""
    from servicelevel.evaluate import evaluate_range

    tz = targets.operation.tz
    last = before.astimezone(tz).date()
    found = []
    for s in evaluate_range(engine, targets, last - timedelta(days=7), last, now=before):
        start = s.window.start_local
        if (
            s.status == "breach"
            and s.window.kind == "15min"
            and start.weekday() < 5
            and 9 <= start.hour < 17
        ):
            found.append((start + timedelta(minutes=12)).astimezone(UTC))
    return sorted(set(found), reverse=True)


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from servicelevel.config import load_targets
    from servicelevel.demo import REPO_TARGETS, DemoSite
    from servicelevel.store.schema import IngestRun, Quarantine, Source

    from . import data
    from .app import create_app

    parser = argparse.ArgumentParser(prog="python -m servicelevel.dashboard.screenshots")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--history-days", type=int, default=28)
    parser.add_argument("--only", default="", help="comma-separated file names (no .png)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    width, height = (int(n) for n in args.size.lower().split("x"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    tz = load_targets(REPO_TARGETS).unwrap().operation.tz
    frozen = busy_moment(tz, datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="servicelevel-shots-") as tmp:
        site = DemoSite(Path(tmp) / "probe", seed=7)
        site.prepare(history_days=args.history_days, now=frozen)
        candidates = breach_moments(site.engine, load_targets(site.targets_path).unwrap(), frozen)
        for moment in candidates[:3]:
            # A site simulated up to that moment: its "now", calls waiting and all.
            site.engine.dispose()
            site = DemoSite(Path(tmp) / moment.strftime("%Y%m%d%H%M"), seed=7)
            site.prepare(history_days=args.history_days, now=moment)
            targets = load_targets(site.targets_path).unwrap()
            tiles = data.live_snapshot(site.engine, targets, {}, moment).tiles
            if data.breach_count(tiles):
                frozen = moment
                break
        else:
            site.engine.dispose()
            site = DemoSite(Path(tmp) / "busy", seed=7)
            site.prepare(history_days=args.history_days, now=frozen)
        # The demo is frozen at ``frozen``: its sources were read then, as far as it knows,
        # and its queue_log sits where Asterisk writes it rather than in a temporary folder.
        read_at = frozen - timedelta(seconds=4)
        with Session(site.engine) as session, session.begin():
            session.execute(update(Source).values(last_ok_at=read_at))
            session.execute(update(IngestRun).values(started_at=read_at, finished_at=read_at))
            pairs = ((Source, Source.name), (IngestRun, IngestRun.source))
            for model, column in (*pairs, (Quarantine, Quarantine.source)):
                session.execute(
                    update(model)
                    .where(column == str(site.queue_log.resolve()))
                    .values({column.key: ASTERISK_QUEUE_LOG})
                )
        app = create_app(site.engine, site.targets_path, demo_note=True, clock=lambda: frozen)
        with serving(app) as base:
            for path in capture(base, args.out, width, height, only):
                print(path)
        site.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
