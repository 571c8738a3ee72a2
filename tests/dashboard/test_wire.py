"""Wire-format elements are exactly what Dash's own components send.

The oracle is Dash itself: every element is rebuilt as the ``dash.html`` component of its tag
(whose constructor rejects unknown properties) and both are serialised by Dash's encoder.
"""

from __future__ import annotations

import json
from typing import Any

from dash import html
from dash._utils import to_json
from dashsite import NOW

from servicelevel.config import load_targets
from servicelevel.dashboard import data
from servicelevel.dashboard.components.tiles import tile, waiting_table
from servicelevel.dashboard.components.wire import el


def as_component(node: Any) -> Any:
    """The ``dash.html`` component a wire element stands for (recursively)."""
    if isinstance(node, list):
        return [as_component(n) for n in node]
    if isinstance(node, dict) and node.get("namespace") == "dash_html_components":
        props = {k: as_component(v) for k, v in node["props"].items()}
        return getattr(html, node["type"])(**props)
    return node


def same_json(wire: Any) -> bool:
    return json.loads(to_json(wire)) == json.loads(to_json(as_component(wire)))


def test_an_element_serialises_like_its_component():
    node = el(
        "Div",
        [el("Span", "x", className="a", **{"aria-hidden": "true"}), None, "text"],
        className="b",
        role="group",
        style={"width": "3%"},
        **{"data-tile": "k"},
    )
    assert same_json(node)
    assert as_component(node).children[0].className == "a"


def test_every_live_tile_and_the_waiting_table_serialise_like_components(site):
    targets = load_targets(site.targets_path).unwrap()
    snap = data.live_snapshot(site.engine, targets, {}, NOW)
    assert len(snap.tiles) > 5
    for t in snap.tiles:
        assert same_json(tile(t)), t.key
    assert same_json(waiting_table(snap.waiting, snap.now_text))
    assert same_json(waiting_table((), snap.now_text))
