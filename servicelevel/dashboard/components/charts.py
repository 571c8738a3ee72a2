"""The one Plotly theme of the dashboard, and chart helpers built on it.

Colours: the Okabe-Ito palette for series (distinguishable with colour-blindness); status
colours match the tiles. Bands are drawn light so the line stays readable on them.
"""

from __future__ import annotations

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


def trend_figure(frame, *, name: str, unit: str, higher_is_better: bool, tz_name: str):
    """KPI lines (one per scope) over bands for breach and ideal, breaches marked with a
    cross, and the volume as bars underneath."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06
    )
    bounds = frame.drop_duplicates("start").sort_values("start")
    values = frame["value"].dropna()
    top = (
        100.0
        if unit == "%"
        else max(
            [
                float(bounds["minimum"].max()) * 1.5,
                float(values.max()) * 1.1 if len(values) else 0,
                1,
            ]
        )
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
    suffix = " %" if unit == "%" else " s"
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
                customdata=part[["status", "volume"]],
                hovertemplate="%{x}<br>%{y:.1f}"
                + suffix
                + " (%{customdata[0]}), %{customdata[1]} counted"
                + f"<extra>{scope}</extra>",
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
                hovertemplate="breach: %{y:.1f}" + suffix + "<extra></extra>",
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
    fig.update_yaxes(title_text=f"{name} ({unit})", range=[0, top], row=1, col=1)
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
