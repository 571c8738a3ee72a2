"""The test site of ``dashsite`` with more targets, for the wallboard at wall-screen sizes.

``dashsite`` gives six tiles, one of them a breach (billing, answered within 20 s today). Each
extra target here is a per-queue service-level target like ``answer-20s``: three tiles, so a
site has 6 + 3 * extra tiles. The first half are lenient (minimum 40 %: billing's 50 % is met)
and come first in targets.toml; the second half are strict (billing breached) and come last.
So in targets.toml's order the first tile is never a breach, and there are
1 + extra // 2 breaches.
"""

from __future__ import annotations

from pathlib import Path

from dashsite import Site, make_site

EXTRA_TARGET = """
[[target]]
id = "answer-20s-copy-{n}"
name = "Answered within 20 s, copy {n}"
kpi = "service_level"
threshold_seconds = 20
queues = ["*"]
per_queue = true
window = "day"
minimum = {minimum}
ideal = 90
min_volume = 5
"""


def tile_count(extra: int) -> int:
    return 6 + 3 * extra


def breach_count(extra: int) -> int:
    return 1 + extra // 2


def make_kiosk_site(root: Path, db_url: str, extra: int, refresh_seconds: int = 2) -> Site:
    """The dashboard test site with ``extra`` more per-queue targets (``tile_count`` tiles).

    ``refresh_seconds`` slows the Live tick for tests that only look at one drawing: on a
    loaded two-core machine Chromium needs seconds to redraw 42 tiles, and a redraw every 2 s
    keeps its main thread so busy that a test's script waits tens of seconds for it.
    """
    site = make_site(root, db_url)
    text = site.targets_path.read_text(encoding="utf-8")
    text = text.replace("refresh_seconds = 2\n", f"refresh_seconds = {refresh_seconds}\n", 1)
    lenient = extra - extra // 2
    first = "".join(EXTRA_TARGET.format(n=n, minimum=40) for n in range(1, lenient + 1))
    last = "".join(EXTRA_TARGET.format(n=n, minimum=80) for n in range(lenient + 1, extra + 1))
    head, sep, rest = text.partition("[[target]]")
    site.targets_path.write_text(head + first.lstrip() + "\n" + sep + rest + last, "utf-8")
    return site
