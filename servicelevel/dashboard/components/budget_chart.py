"""The error budget over the window, for Trends: misses left, per queue, and where it ran out.

Why a chart of its own under the KPI's: the value says whether the minimum is kept, the budget
how far from breaking it the window stands in contacts, and, with points finer than the
target's window, how fast the window's budget went (docs/budgets.md).
"""

from __future__ import annotations

import plotly.graph_objects as go

from .charts import SERIES, STATUS_COLOUR, TEMPLATE, empty_figure


def budget_figure(frame, *, name: str, miss_word: str, tz_name: str):
    """Remaining budget (allowed minus spent) per scope as lines, a zero line where it runs out,
    overspent points marked with a cross; hover gives the sentence the tiles use."""
    if frame.empty or frame["remaining"].isna().all():
        return empty_figure("No error budget to show: too few contacts in this period.")
    fig = go.Figure()
    for i, (scope, part) in enumerate(frame.groupby("scope", sort=True)):
        colour = SERIES[i % len(SERIES)]
        fig.add_trace(
            go.Scatter(
                x=part["start"],
                y=part["remaining"],
                mode="lines+markers",
                name=str(scope),
                line={"color": colour, "width": 2.5},
                customdata=part[["label", "text", "window_label"]],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>(budget of "
                "%{customdata[2]})" + f"<extra>{scope}</extra>",
            )
        )
    over = frame[frame["remaining"] < 0]
    if len(over):
        fig.add_trace(
            go.Scatter(
                x=over["start"],
                y=over["remaining"],
                mode="markers",
                name="overspent",
                marker={"symbol": "x", "size": 12, "color": STATUS_COLOUR["breach"]},
                hoverinfo="skip",
            )
        )
    fig.add_hline(
        y=0,
        line={"color": STATUS_COLOUR["breach"], "dash": "dash"},
        annotation_text="budget spent: the minimum breaks below this line",
        annotation_position="bottom left",
    )
    fig.update_layout(
        template=TEMPLATE,
        height=360,
        title={"text": f"{name}: error budget"},
        hovermode="closest",
        margin={"l": 70, "r": 20, "t": 50, "b": 40},
    )
    fig.update_yaxes(title_text=f"{miss_word} left")
    fig.update_xaxes(title_text=f"local time ({tz_name})")
    return fig
