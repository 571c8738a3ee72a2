"""The self-assessment's charts: each area on its 1-5 scale, the total in its bands, over time.

The bands (asset, adequate, losing) are drawn with the dashboard's status colours and also
named in words on the chart, so they read without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import plotly.graph_objects as go

from servicelevel.assessment import (
    AREAS,
    ASSET_FROM,
    BANDS,
    HIGHEST_RATING,
    LOSING_UP_TO,
    LOWEST_RATING,
    MAX_TOTAL,
    MIN_TOTAL,
    RATING_WORDS,
    Assessment,
    Band,
    score_text,
    shown_total,
)

from .charts import SERIES, STATUS_COLOUR, TEMPLATE, _fill_colour

# band -> (status colour it borrows, low edge, high edge) on the 7-35 scale of the total.
BAND_SPANS: dict[Band, tuple[str, Fraction, Fraction]] = {
    "losing": ("breach", Fraction(MIN_TOTAL), LOSING_UP_TO),
    "adequate": ("met", LOSING_UP_TO, ASSET_FROM),
    "asset": ("ideal", ASSET_FROM, Fraction(MAX_TOTAL)),
}


def _bands(fig: go.Figure, *, horizontal: bool) -> None:
    """Shade the three bands of the total, each named, on the x (or y) axis."""
    for band, (status, low, high) in BAND_SPANS.items():
        fill = _fill_colour(status, 0.14)
        label = f"{band}: {BANDS[band]}"
        if horizontal:
            fig.add_vrect(x0=float(low), x1=float(high), fillcolor=fill, line_width=0,
                          layer="below", annotation_text=band, annotation_position="top left",
                          name=label)  # fmt: skip
        else:
            fig.add_hrect(y0=float(low), y1=float(high), fillcolor=fill, line_width=0,
                          layer="below", annotation_text=label,
                          annotation_position="top left")  # fmt: skip


def areas_figure(result: Assessment) -> go.Figure:
    """A bar per area from 1 (never) to its score, on the 1-5 scale; the weakest in red."""
    areas = result.areas
    weakest = set(result.weakest)
    names = list(AREAS)[::-1]  # the first area on top
    fig = go.Figure(
        go.Bar(
            y=[AREAS[a] for a in names],
            x=[float(areas[a]) - LOWEST_RATING for a in names],
            base=[LOWEST_RATING] * len(names),
            orientation="h",
            marker_color=[STATUS_COLOUR["breach"] if a in weakest else SERIES[0] for a in names],
            text=[score_text(areas[a]) + (" weakest" if a in weakest else "") for a in names],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    ticks = list(range(LOWEST_RATING, HIGHEST_RATING + 1))
    fig.update_layout(
        template=TEMPLATE,
        title=f"Each area, {result.assessed_on.isoformat()}",
        height=360,
        margin={"l": 20, "r": 80},
        xaxis={
            "range": [LOWEST_RATING, HIGHEST_RATING],
            "tickvals": ticks,
            "ticktext": [f"{t} {RATING_WORDS[t]}" for t in ticks],
        },
        yaxis={"automargin": True},
        showlegend=False,
    )
    return fig


def total_figure(result: Assessment) -> go.Figure:
    """The total as one bar on the 7-35 scale, over the three bands."""
    total = float(shown_total(result.total))
    fig = go.Figure(
        go.Bar(
            x=[total - MIN_TOTAL],
            base=[MIN_TOTAL],
            y=["Total"],
            orientation="h",
            marker_color="#212529",
            width=0.4,
            text=[f"{total:.2f}: {result.band}"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"Total {total:.2f} of {MAX_TOTAL}: {result.band}<extra></extra>",
        )
    )
    _bands(fig, horizontal=True)
    edges = [MIN_TOTAL, int(LOSING_UP_TO), int(ASSET_FROM), MAX_TOTAL]
    fig.update_layout(
        template=TEMPLATE,
        title=f"Total of {MAX_TOTAL}",
        height=200,
        margin={"l": 60, "r": 40, "t": 60, "b": 40},
        xaxis={"range": [MIN_TOTAL, MAX_TOTAL], "tickvals": edges},
        showlegend=False,
    )
    return fig


def history_figure(results: Sequence[Assessment]) -> go.Figure:
    """The total of every recorded assessment by its day, over the bands and their edges."""
    fig = go.Figure(
        go.Scatter(
            x=[r.assessed_on.isoformat() for r in results],
            y=[float(shown_total(r.total)) for r in results],
            mode="lines+markers",
            line={"color": SERIES[0], "width": 2.5},
            marker={"size": 8},
            customdata=[[r.author, r.band] for r in results],
            hovertemplate="%{x}: %{y:.2f} (%{customdata[1]}), by %{customdata[0]}<extra></extra>",
            name="total",
        )
    )
    _bands(fig, horizontal=False)
    for edge, status in ((LOSING_UP_TO, "breach"), (ASSET_FROM, "ideal")):
        fig.add_hline(y=float(edge), line={"color": STATUS_COLOUR[status], "dash": "dash",
                                           "width": 1.5})  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        title="Total over time",
        height=340,
        yaxis={"range": [MIN_TOTAL, MAX_TOTAL], "tickvals": [MIN_TOTAL, 20, 28, MAX_TOTAL]},
        xaxis={"type": "date"},
        showlegend=False,
    )
    return fig
