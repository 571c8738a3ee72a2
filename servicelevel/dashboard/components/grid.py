"""AG Grid tables with one look: sortable, filterable, resizable, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag


def col(field: str, header: str, *, numeric: bool = False, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"field": field, "headerName": header}
    if numeric:
        spec["type"] = "numericColumn"
        spec["filter"] = "agNumberColumnFilter"
    spec.update(extra)
    return spec


def link_col(field: str, header: str) -> dict[str, Any]:
    """A column of markdown links (``[text](/path)``); links stay plain anchors (keyboard)."""
    return {
        "field": field,
        "headerName": header,
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
        columnDefs=list(columns),
        # No type inference: AG Grid would take "2026-03-10 09:00 CET" for a date and then
        # blank out a later "ongoing" in the same column.
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": 90,
            "cellDataType": False,
        },
        columnSize=fit,
        dashGridOptions=options,
        style=style,
    )
