"""HTML elements written straight in Dash's wire format, for views drawn hundreds at a time.

Why: the wallboard redraws every tile every tick, about forty elements each, so two hundred
tiles are some nine thousand elements. Dash's component classes check every property when
they are built (tens of microseconds each) and are walked once more to be serialised, which
made building the Live response cost ten times the evaluation behind it. ``el`` returns the very
dictionary that ``html.<Tag>(...).to_plotly_json()`` gives (``tests/dashboard`` checks that), so
the browser receives the same JSON, built at the cost of a dict.

Use it only for large, repetitive, static markup; anything with callbacks stays a component.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "dash_html_components"
Element = dict[str, Any]


def el(tag: str, children: Any = None, **props: Any) -> Element:
    """``<tag>`` with ``children`` (an element, text, or a list of them) and ``props``.

    Props are spelled as Dash spells them: ``className``, ``style``, and ``**{"aria-label":
    ...}`` or ``**{"data-key": ...}`` for the dashed HTML attributes.
    """
    return {"props": {"children": children, **props}, "type": tag, "namespace": NAMESPACE}
