"""AG Grid tables with one look: sortable, filterable, resizable, numbers right-aligned.

Nothing is cut with an ellipsis on a 1366 px screen: text cells wrap onto more lines (times
break between date and clock, names between words, paths anywhere) and each column is at least
as wide as the longest word of its header, which wraps as well. A table wider than the screen
still fits its key columns first; the rest scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag


def col(field: str, header: str, *, numeric: bool = False, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"field": field, "headerName": header}
    if numeric:
        spec["type"] = "numericColumn"
        spec["filter"] = "agNumberColumnFilter"
        # counts are sorted more than filtered: the filter button's room goes to the number
        spec["suppressHeaderFilterButton"] = True
    spec.update(extra)
    return spec


# Header text is 14 px bold in the Alpine theme: about 8.5 px a character, plus the cell's
# padding (servicelevel.css: 10 px each side), the filter button and the sort arrow.
_HEADER_CHAR_PX = 8
_HEADER_EXTRA_PX = 46
_FILTER_BUTTON_PX = 22
MIN_COLUMN_PX = 72
# "2026-03-10 09:00 CET" on one line; narrower, a time wraps between date and clock.
TIME_MIN_PX = 170
# ... or on two lines, date above clock, where a wide table has no room for that.
TIME_WRAPPED_PX = 120


def header_min_width(header: str) -> int:
    """The narrowest a column may be for its header's longest word to show whole."""
    longest = max((len(word) for word in header.split()), default=0)
    return max(MIN_COLUMN_PX, round(longest * _HEADER_CHAR_PX) + _HEADER_EXTRA_PX)


def _sized(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    header = str(spec.get("headerName", ""))
    button = 0 if spec.get("suppressHeaderFilterButton") else _FILTER_BUTTON_PX
    out.setdefault("minWidth", header_min_width(header) - _FILTER_BUTTON_PX + button)
    return out


def time_col(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A column of local date-times, wide enough for one line."""
    return col(field, header, minWidth=TIME_MIN_PX, **extra)


def link_col(field: str, header: str, min_width: int = 150) -> dict[str, Any]:
    """A column of markdown links (``[text](/path)``); links stay plain anchors (keyboard)."""
    return {
        "field": field,
        "headerName": header,
        "minWidth": min_width,
        "cellRenderer": "markdown",
        "sortable": False,
        "filter": False,
    }


def grid(
    id: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[dict[str, Any]],
    *,
    height: str | None = None,
    page_size: int | None = None,
    fit: str = "responsiveSizeToFit",
) -> dag.AgGrid:
    """``fit="autoSize"`` sizes columns to their content (wide tables scroll sideways)."""
    options: dict[str, Any] = {"enableCellTextSelection": True, "ensureDomOrder": True}
    style: dict[str, Any] = {"width": "100%"}
    if height is None:
        options["domLayout"] = "autoHeight"
    else:
        style["height"] = height
    if page_size:
        options.update(
            pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False
        )
    return dag.AgGrid(
        id=id,
        rowData=list(rows),
        columnDefs=[_sized(c) for c in columns],
        # No type inference: AG Grid would take "2026-03-10 09:00 CET" for a date and then
        # blank out a later "ongoing" in the same column.
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "cellDataType": False,
            # wrap rather than cut: a narrow column grows taller, its text stays whole
            "wrapText": True,
            "autoHeight": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        columnSize=fit,
        dashGridOptions=options,
        style=style,
    )
