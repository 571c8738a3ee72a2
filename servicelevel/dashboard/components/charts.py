"""The one Plotly theme of the dashboard, and chart helpers built on it.

Colours: the Okabe-Ito palette for series (distinguishable with colour-blindness); status
colours match the tiles. Bands are drawn light so the line stays readable on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "servicelevel"
SERIES = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STATUS_COLOUR = {
    "ideal": "#198754",
    "met": "#b58100",
    "breach": "#dc3545",
    "no_data": "#6c757d",
    "stale": "#6f42c1",
}
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def _register() -> None:
    if TEMPLATE in pio.templates:
        return
    base = pio.templates["plotly_white"]
    template = go.layout.Template(base)
    template.layout.update(
        font={"family": FONT, "size": 14, "color": "#212529"},
        colorway=SERIES,
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": -0.18},
        title={"font": {"size": 16}},
    )
    pio.templates[TEMPLATE] = template


_register()


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "font": {"size": 16},
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
            }
        ],
        height=320,
    )
    return fig


def _fill_colour(status: str, alpha: float) -> str:
    colour = STATUS_COLOUR[status].lstrip("#")
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def y_range(
    values: Iterable[float | None], bounds: Iterable[float], unit: str
) -> tuple[float, float]:
    """The y-axis of a trend: the values and the minimum/ideal bands, with some room.

    Fitted, not 0-100 %: an abandon rate of 3-8 % drawn on 0-100 % is a flat line at the
    bottom. The padding is a tenth of the span (at least 1 point or second) on each side;
    never below 0, nor above 100 for a percentage. Empty windows (None/NaN) are left out.
    """
    seen = [float(v) for v in (*values, *bounds) if v is not None and not math.isnan(v)]
    if not seen:
        return (0.0, 100.0) if unit == "%" else (0.0, 1.0)
    low, high = min(seen), max(seen)
    pad = max((high - low) * 0.1, 1.0)
    low, high = max(low - pad, 0.0), high + pad
    if unit == "%":
        high = min(high, 100.0)
    return low, high


def trend_figure(frame, *, name: str, unit: str, higher_is_better: bool, tz_name: str):
    """KPI lines (one per scope) over bands for breach and ideal, breaches marked with a
    cross, empty windows marked "n/a" on the axis, and the volume as bars underneath."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06
    )
    bounds = frame.drop_duplicates("start").sort_values("start")
    bottom, top = y_range(
        frame["value"].tolist(), [*frame["minimum"].tolist(), *frame["ideal"].tolist()], unit
    )
    x = list(bounds["start"]) + ([bounds["end"].iloc[-1]] if len(bounds) else [])

    def step(column: str) -> list[float]:
        ys = list(bounds[column])
        return ys + ys[-1:]

    # Bands follow the minimum and ideal in force at each point (they may change over time).
    # The lower line is shaded down to zero and the upper one up to the top of the chart: the
    # minimum is the lower line when higher is better, the ideal when lower is better.
    lines = {
        "minimum": ("breach", "dash"),
        "ideal": ("ideal", "dot"),
    }
    lower, upper = ("minimum", "ideal") if higher_is_better else ("ideal", "minimum")

    def band_line(column: str, fill: str) -> go.Scatter:
        status, dash = lines[column]
        return go.Scatter(
            x=x,
            y=step(column),
            mode="lines",
            line_shape="hv",
            line={"color": STATUS_COLOUR[status], "dash": dash, "width": 1.5},
            fill=fill,
            fillcolor=_fill_colour(status, 0.08),
            name=column,
            hoverinfo="skip",
        )

    top_line = go.Scatter(
        x=x, y=[top] * len(x), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
    )
    for trace in (band_line(lower, "tozeroy"), top_line, band_line(upper, "tonexty")):
        fig.add_trace(trace, row=1, col=1)
    # Hover shows the value as the table does ("85.0 %", "42 s", "n/a"), not Plotly's number.
    hover = ["label", "value_text", "status", "volume"]
    for i, (scope, part) in enumerate(frame.groupby("scope", sort=True)):
        colour = SERIES[i % len(SERIES)]
        fig.add_trace(
            go.Scatter(
                x=part["start"],
                y=part["value"],
                mode="lines+markers",
                name=str(scope),
                line={"color": colour, "width": 2.5},
                marker={"size": 6},
                customdata=part[hover],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]} (%{customdata[2]}), "
                "%{customdata[3]} counted" + f"<extra>{scope}</extra>",
                legendgroup=str(scope),
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Bar(
                x=part["start"],
                y=part["volume"],
                name=f"{scope} volume",
                marker_color=colour,
                opacity=0.7,
                showlegend=False,
                legendgroup=str(scope),
                hovertemplate="%{x}<br>%{y} counted" + f"<extra>{scope}</extra>",
            ),
            row=2,
            col=1,
        )
    # An empty window has no value to draw: a hollow grey mark on the axis says "n/a" there,
    # so a gap in the line reads as "nothing counted", not as a drawing fault.
    empty = frame[frame["value"].isna()]
    if len(empty):
        fig.add_trace(
            go.Scatter(
                x=empty["start"],
                y=[bottom] * len(empty),
                mode="markers",
                name="n/a (no value)",
                marker={
                    "symbol": "circle-open",
                    "size": 8,
                    "color": STATUS_COLOUR["no_data"],
                },
                cliponaxis=False,
                customdata=empty[["label", "value_text", "volume", "scope"]],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}, %{customdata[2]} counted"
                "<extra>%{customdata[3]}</extra>",
            ),
            row=1,
            col=1,
        )
    breached = frame[frame["status"] == "breach"]
    if len(breached):
        fig.add_trace(
            go.Scatter(
                x=breached["start"],
                y=breached["value"],
                mode="markers",
                name="breach",
                marker={
                    "symbol": "x",
                    "size": 13,
                    "color": STATUS_COLOUR["breach"],
                    "line": {"width": 1, "color": "#58151c"},
                },
                customdata=breached[["value_text"]],
                hovertemplate="breach: %{customdata[0]}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.update_layout(
        template=TEMPLATE,
        height=560,
        barmode="group",
        title={"text": name},
        hovermode="closest",
        margin={"l": 70, "r": 20, "t": 50, "b": 40},
    )
    fig.update_yaxes(title_text=f"{name} ({unit})", range=[bottom, top], row=1, col=1)
    fig.update_yaxes(title_text="counted", row=2, col=1, rangemode="tozero")
    fig.update_xaxes(title_text=f"local time ({tz_name})", row=2, col=1)
    return fig


def timeline_figure(rows, *, tz_name: str):
    """Breaches as bars on a time axis, one row per target and queue, darker when deeper."""
    if not rows:
        return empty_figure("No breach in this period.")
    labels = [f"{r['target']} · {r['queue']}" for r in rows]
    starts = [r["start_local"] for r in rows]
    ends = [r["end_local"] for r in rows]
    fig = go.Figure()
    for label, start, end, r in zip(labels, starts, ends, rows, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[start, end],
                y=[label, label],
                mode="lines+markers",
                line={"color": STATUS_COLOUR["breach"], "width": 14},
                marker={"symbol": "line-ns", "size": 16, "line": {"width": 2, "color": "#58151c"}},
                showlegend=False,
                hovertemplate=(
                    f"{label}<br>{r['start']} → {r['end']}<br>worst {r['worst']} "
                    f"(minimum {r['minimum']}, depth {r['depth']})<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        height=max(220, 60 + 38 * len(set(labels))),
        margin={"l": 20, "r": 20, "t": 20, "b": 40},
    )
    fig.update_yaxes(automargin=True, categoryorder="category descending")
    fig.update_xaxes(title_text=f"local time ({tz_name})")
    return fig


def queue_day_figure(rows, *, sl_name: str | None, minimum: float | None, tz_name: str):
    """Calls per 15-minute interval (answered, abandoned, other) and the service level."""
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [r["start"] for r in rows]
    other = [r["offered"] - r["answered"] - r["abandoned"] for r in rows]
    fig.add_trace(
        go.Bar(x=x, y=[r["answered"] for r in rows], name="answered", marker_color=SERIES[0]),
        secondary_y=False,
    )
    fig.add_trace(
        go.Bar(x=x, y=[r["abandoned"] for r in rows], name="abandoned", marker_color=SERIES[5]),
        secondary_y=False,
    )
    if any(other):
        fig.add_trace(
            go.Bar(x=x, y=other, name="timed out / left", marker_color=SERIES[3]), secondary_y=False
        )
    if sl_name is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r["sl"] for r in rows],
                name=sl_name,
                mode="lines+markers",
                line={"color": "#212529", "width": 2},
                connectgaps=False,
            ),
            secondary_y=True,
        )
        if minimum is not None:
            fig.add_hline(
                y=minimum,
                line={"color": STATUS_COLOUR["breach"], "dash": "dash"},
                secondary_y=True,
                annotation_text=f"minimum {minimum:g} %",
                annotation_position="top right",
            )
        fig.update_yaxes(
            title_text="service level (%)",
            range=[0, 105],
            secondary_y=True,
            tickvals=[0, 20, 40, 60, 80, 100],
            showgrid=False,
        )
    fig.update_layout(
        template=TEMPLATE, barmode="stack", height=420, margin={"l": 60, "r": 60, "t": 30, "b": 40}
    )
    fig.update_yaxes(title_text="calls offered", secondary_y=False, rangemode="tozero")
    fig.update_xaxes(title_text=f"local time ({tz_name})")
    return fig
