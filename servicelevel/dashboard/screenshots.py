"""Render every dashboard page in headless Chromium to PNG files (for the README and docs).

    python -m servicelevel.dashboard.screenshots [--out docs/screenshots] [--size 1920x1080]

It builds a fresh demo site (simulated history, as ``servicelevel demo`` does) in a temporary
folder, frozen at the last weekday 11:30 so the pictures show a busy hour, serves the dashboard
on a free loopback port in a thread, and saves one PNG per page.
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
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server

ASTERISK_QUEUE_LOG = "/var/log/asterisk/queue_log"
# (file name, path, CSS selector that is there once the page has drawn)
PAGES = (
    ("live", "/live", "#live-tiles"),
    ("live-kiosk", "/live?kiosk=1", "#live-tiles"),
    ("trends", "/trends", "#trends-grid .ag-row"),
    ("breaches", "/breaches", "#breaches-grid .ag-row"),
    ("queue", "/queue?queue=support", "#queue-grid .ag-row"),
    ("sources", "/sources", "#sources-grid .ag-row"),
    ("targets", "/targets", "#targets-grid .ag-row"),
)


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


def capture(base: str, out: Path, width: int, height: int) -> list[Path]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.wait import WebDriverWait

    out.mkdir(parents=True, exist_ok=True)
    driver = browser(width, height)
    saved = []
    try:
        # The viewport itself, not the window around it, is width x height.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        for name, path, ready in PAGES:
            driver.get(base + path)
            WebDriverWait(driver, 30).until(
                ec.presence_of_element_located((By.CSS_SELECTOR, ready))
            )
            time.sleep(1.5)  # let Plotly and the grids finish laying out
            target = out / f"{name}.png"
            driver.save_screenshot(str(target))
            saved.append(target)
    finally:
        driver.quit()
    return saved


def busy_moment(tz: ZoneInfo, now: datetime) -> datetime:
    """The last weekday 11:30 (local) before ``now``: a busy hour makes telling pictures."""
    local = now.astimezone(tz).replace(hour=11, minute=30, second=0, microsecond=0)
    while local > now or local.weekday() >= 5:
        local -= timedelta(days=1)
    return local.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from servicelevel.config import load_targets
    from servicelevel.demo import REPO_TARGETS, DemoSite
    from servicelevel.store.schema import IngestRun, Quarantine, Source

    from .app import create_app

    parser = argparse.ArgumentParser(prog="python -m servicelevel.dashboard.screenshots")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--history-days", type=int, default=28)
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    tz = load_targets(REPO_TARGETS).unwrap().operation.tz
    frozen = busy_moment(tz, datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="servicelevel-shots-") as tmp:
        site = DemoSite(Path(tmp), seed=7)
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
            for path in capture(base, args.out, width, height):
                print(path)
        site.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
