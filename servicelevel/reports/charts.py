"""PNG charts for the weekly email, drawn with matplotlib (no browser, no display).

Why not the dashboard's plotly figures: turning those into images needs a headless browser
(kaleido), which is exactly what a scheduled email must not depend on. The data is the same:
:class:`servicelevel.reports.weekly.TargetWeek` statuses, from ``servicelevel.evaluate``.

Each chart shows the minimum (dashed, dark red) and the ideal (dotted, green) as labelled lines,
as they applied at each point (a minimum raised mid-week steps up on the day it took effect);
bars are coloured by status *and* a bar below the minimum is hatched, so the chart still reads
in grey (printed, or in a client that strips colour).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # before pyplot: never look for a display

from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from servicelevel.reports.weekly import TargetWeek

WIDTH_PX, HEIGHT_PX, DPI = 560, 190, 200  # shown at 560 x 190 in the email, drawn at 2x
BAR = {"breach": "#d92d20", "met": "#f5b80b", "ideal": "#17b26a", "no_data": "#d0d5dd"}
LINES = ("#344054", "#1570ef", "#9e77ed", "#ee46bc", "#f79009")
MIN_COLOUR, IDEAL_COLOUR, TEXT = "#912018", "#067647", "#475467"


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100), dpi=DPI)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.09, right=0.84, top=0.93, bottom=0.17)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#d0d5dd")
    ax.tick_params(labelsize=6.5, colors=TEXT, length=0)
    ax.grid(axis="y", color="#eaecf0", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _label(row: TargetWeek, point: object) -> str:
    window = point.window  # type: ignore[attr-defined]
    local = window.start_local
    if window.kind == "week":
        return f"W{local.isocalendar()[1]}"
    return f"{local:%a %-d}"


def chart_png(row: TargetWeek) -> bytes | None:
    """One target's chart, or None when there is nothing to draw."""
    series = {name: pts for name, pts in row.trend.items() if pts}
    if not series or all(p.value is None for pts in series.values() for p in pts):
        return None
    unit = row.target.unit
    fig, ax = _figure()
    first = next(iter(series.values()))
    # Each point was judged by the target version in force then (evaluate applies the history).
    applied = [p.target for p in first]
    target = applied[-1]  # the labels beside the plot: the latest values shown
    labels = [_label(row, p) for p in first]
    xs = list(range(len(labels)))
    values = [p.value for pts in series.values() for p in pts if p.value is not None]
    top = max([*values, *(t.minimum for t in applied), *(t.ideal for t in applied)])
    if len(series) == 1:
        bars = ax.bar(
            xs,
            [p.value or 0 for p in first],
            width=0.62,
            color=[BAR.get(p.status, BAR["no_data"]) for p in first],
            hatch=None,
        )
        for bar, point in zip(bars, first, strict=True):
            if point.status == "breach":
                bar.set_hatch("////")
                bar.set_edgecolor("#ffffff")
            text = "n/a" if point.value is None else _short(point.value, unit)
            y = (point.value or 0) + top * 0.02
            ax.text(bar.get_x() + bar.get_width() / 2, y, text, ha="center", va="bottom",
                    fontsize=6, color=TEXT, zorder=5,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white",
                          "edgecolor": "none"})  # fmt: skip
    else:
        for colour, (name, points) in zip(LINES, series.items(), strict=False):
            ys = [p.value if p.value is not None else float("nan") for p in points]
            ax.plot(xs, ys, marker="o", markersize=2.8, linewidth=1.2, color=colour, label=name)
            low = [
                (x, p.value)
                for x, p in zip(xs, points, strict=False)
                if p.status == "breach" and p.value is not None  # a breach always has a value
            ]
            if low:  # breached days get a red ring and their value, so they read without colour
                ax.scatter([x for x, _ in low], [v for _, v in low], s=22, facecolors="none",
                           edgecolors=BAR["breach"], linewidths=1, zorder=4)  # fmt: skip
                for x, v in low:
                    ax.annotate(_short(v, unit), (x, v), textcoords="offset points",
                                xytext=(0, -9), ha="center", fontsize=5.5,
                                color=BAR["breach"])  # fmt: skip
        # Beside the plot, away from the min/ideal labels (high when higher is better).
        anchor = (1.0, 0.3) if target.higher_is_better else (1.0, 0.85)
        ax.legend(fontsize=5.5, frameon=False, loc="center left", bbox_to_anchor=anchor)
    for bound, colour, style in (("minimum", MIN_COLOUR, (0, (4, 2))),
                                 ("ideal", IDEAL_COLOUR, (0, (1, 1.5)))):  # fmt: skip
        levels = [getattr(t, bound) for t in applied]
        if len(set(levels)) == 1:
            ax.axhline(levels[0], color=colour, linewidth=1, linestyle=style)
        else:  # one segment per point, at the level that judged it
            ax.hlines(levels, [x - 0.5 for x in xs], [x + 0.5 for x in xs], colors=colour,
                      linewidth=1, linestyles=style)  # fmt: skip
    edge = ax.get_yaxis_transform()
    ax.text(1.01, target.minimum, f"min {_short(target.minimum, unit)}", transform=edge,
            fontsize=6, color=MIN_COLOUR, va="center")  # fmt: skip
    ax.text(1.01, target.ideal, f"ideal {_short(target.ideal, unit)}", transform=edge,
            fontsize=6, color=IDEAL_COLOUR, va="center")  # fmt: skip
    if abs(target.minimum - target.ideal) < top * 0.06:  # keep the two labels apart
        ax.texts[-1].set_y(target.ideal + (top * 0.07 if target.higher_is_better else -top * 0.07))
    ax.set_xticks(xs, labels)
    ax.set_ylim(0, top * 1.18 if top > 0 else 1)
    ax.yaxis.set_major_formatter(lambda v, _pos: _short(v, unit))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _short(value: float, unit: str) -> str:
    return f"{value:.0f} %" if unit == "%" else f"{value:.0f} s"
