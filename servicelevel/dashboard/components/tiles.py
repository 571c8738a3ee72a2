"""The wallboard tile: value, minimum and ideal marks, status as colour + icon + word.

Drawn with HTML and CSS, not a Plotly figure: a wallboard may show thirty tiles refreshed every
few seconds, and plain elements cost the browser almost nothing. The counts behind the value sit
in a native ``<details>`` element: one click (or Enter) away, no round trip to the server.
Elements are built with ``wire.el`` rather than Dash's classes: a large centre has hundreds of
tiles, rebuilt every tick (see ``wire``).
"""

from __future__ import annotations

from ..data import Tile, WaitingRow
from .wire import Element, el


def _scale_max(tile: Tile) -> float:
    """Top of the gauge: 100 for a percentage where higher is better; otherwise room for the
    minimum, the ideal and the value (an abandon rate of 4 % is lost on a 0-100 bar)."""
    if tile.unit == "%" and tile.higher_is_better:
        return 100.0
    top = max(tile.minimum * 2, tile.ideal * 2, (tile.value or 0) * 1.1, 1.0)
    return min(top, 100.0) if tile.unit == "%" else top


def _pct(value: float, top: float) -> str:
    return f"{max(min(value / top * 100, 100), 0):.2f}%"


def gauge(tile: Tile) -> Element:
    """A bar from 0 to the value, with marks at the minimum and the ideal."""
    top = _scale_max(tile)
    fill = (
        []
        if tile.value is None
        else [el("Div", className="sl-gauge-fill", style={"width": _pct(tile.value, top)})]
    )
    marks = [
        el(
            "Div",
            el("Span", label, className="sl-mark-label"),
            className=f"sl-mark sl-mark-{label}",
            style={"left": _pct(bound, top)},
        )
        for label, bound in (("min", tile.minimum), ("ideal", tile.ideal))
    ]
    better = "higher is better" if tile.higher_is_better else "lower is better"
    return el(
        "Div",
        [el("Div", fill, className="sl-gauge-track"), *marks],
        className="sl-gauge",
        role="img",
        **{
            "aria-label": f"{tile.value_text}; minimum {tile.minimum_text}, ideal "
            f"{tile.ideal_text} ({better})"
        },
    )


def details(tile: Tile) -> Element:
    rows = [
        el("Tr", [el("Th", label, scope="row"), el("Td", value)]) for label, value in tile.counts
    ]
    return el(
        "Details",
        [
            el("Summary", "How it is counted"),
            el("P", [el("Strong", "Formula: "), tile.formula], className="sl-formula"),
            el("P", [el("Strong", "This window: "), tile.calculation], className="sl-calc"),
            el("P", [el("Strong", "Error budget: "), tile.budget[1]], className="sl-budget-detail")
            if tile.budget[1]
            else None,
            el("Table", el("Tbody", rows), className="table table-sm sl-counts") if rows else None,
        ],
        className="sl-details",
        **{"data-key": tile.key},
    )


def tile(t: Tile) -> Element:
    return el(
        "Div",
        [
            el(
                "Div",
                [
                    el("H2", t.name, className="sl-tile-title"),
                    el("Div", f"{t.scope_text} · {t.window_text}", className="sl-tile-scope"),
                ],
            ),
            el(
                "Div",
                [
                    el("Span", t.value_text, className="sl-value"),
                    el(
                        "Span",
                        [el("Span", t.status_icon, **{"aria-hidden": "true"}), " ", t.status_word],
                        className="sl-badge",
                    ),
                ],
                className="sl-value-row",
            ),
            gauge(t),
            el(
                "Div",
                [
                    # separate spans so the kiosk can put the count on a line of its own
                    el("Span", f"minimum {t.minimum_text} · ideal {t.ideal_text}"),
                    el("Span", " · ", className="sl-bounds-sep"),
                    el("Span", f"{t.volume} counted", className="sl-bounds-volume"),
                    # Why grey, in words: "Closed on Sundays", "Stale since 2010-08-01 21:59
                    # CEST". A line of the bounds, so the kiosk's tile grid keeps its places.
                    el("Span", t.note, className="sl-tile-note") if t.note else None,
                    # How far the minimum is, in contacts (servicelevel.evaluate.budget); a
                    # line of the bounds too.
                    el("Span", t.budget[0], className="sl-tile-budget") if t.budget[0] else None,
                ],
                className="sl-bounds",
            ),
            details(t),
        ],
        className=f"sl-tile sl-status-{t.status}",
        role="group",
        **{
            "data-tile": t.key,
            "data-status": t.status,
            "aria-label": f"{t.name}, {t.scope_text}: {t.value_text}, {t.status_word}",
        },
    )


def waiting_table(rows: tuple[WaitingRow, ...], now_text: str) -> Element:
    if not rows:
        return el("P", "No queue has had a call yet.", className="text-body-secondary")
    body = [
        el(
            "Tr",
            [
                el("Th", r.queue, scope="row"),
                el("Td", str(r.calls), className="sl-num"),
                el("Td", r.longest_wait_text, className="sl-num"),
            ],
            className="sl-waiting-busy" if r.calls else None,
            **{"data-queue": r.queue},
        )
        for r in rows
    ]
    head = el(
        "Thead",
        el(
            "Tr",
            [
                el("Th", "Queue", scope="col"),
                el("Th", "Waiting now", scope="col", className="sl-num"),
                el("Th", "Longest wait", scope="col", className="sl-num"),
            ],
        ),
    )
    return el(
        "Table",
        [el("Caption", f"Calls waiting at {now_text}"), head, el("Tbody", body)],
        className="table sl-waiting",
        id="live-waiting-table",
    )
