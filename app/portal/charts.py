"""Chart geometry for server-rendered SVG: lines over days, horizontal bars.

Hand-written on purpose: Python's chart libraries either draw in the browser
(JavaScript) or pull in a plotting stack (matplotlib and friends) for what is
a few polylines and rectangles. Here Python computes coordinates and the
templates ``portal/_line_chart.html`` and ``portal/_bar_chart.html`` write
the SVG, so a chart reads without JavaScript, scales with the screen, takes
its colours from CSS (dark mode included) and always sits next to a table of
the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

WIDTH = 360  # close to a phone's width in CSS pixels, so text keeps its size there
PLOT_LEFT = 44
PLOT_RIGHT = WIDTH - 10
PLOT_TOP = 10
PLOT_HEIGHT = 150
HEIGHT = PLOT_TOP + PLOT_HEIGHT + 26
BAR_ROW = 46
LABEL_CHARS = 46


@dataclass
class Series:
    """One line; ``segments`` are polyline point lists, broken where a value is unknown."""

    key: str
    label: str
    total: str
    segments: list[str] = field(default_factory=list)


@dataclass
class LineChart:
    title: str
    description: str
    series: list[Series]
    y_ticks: list[tuple[float, str]]  # (y, label)
    x_ticks: list[tuple[float, str]]  # (x, label)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_bottom: int = PLOT_TOP + PLOT_HEIGHT


def nice_step(top: float, steps: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) covering ``top`` in ``steps``."""
    if top <= 0:
        return 1.0
    raw = top / steps
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def line_chart(
    title: str,
    days: Sequence[date],
    lines: Sequence[tuple[str, str, Sequence[float | None], str]],
    *,
    percent: bool = False,
) -> LineChart:
    """Lines of ``(key, label, values per day, summary)``; ``percent`` reads values as
    0..1 ratios. The summary ("54 in total") goes in the legend and the description."""
    known = [v for _, _, values, _ in lines for v in values if v is not None]
    top_value = max(known, default=0.0)
    step = nice_step(top_value * (100 if percent else 1)) / (100 if percent else 1)
    if not percent:
        step = max(1.0, step)
    intervals = max(1, math.ceil(round(top_value / step, 9))) if top_value else 4
    top = step * intervals
    span = max(1, len(days) - 1)

    def x(n: int) -> float:
        if len(days) == 1:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * n / span, 1)

    def y(value: float) -> float:
        return round(PLOT_TOP + PLOT_HEIGHT * (1 - value / top), 1)

    def label(value: float) -> str:
        return f"{value:.0%}" if percent else f"{value:,.0f}"

    series = []
    for key, name, values, summary in lines:
        segments: list[str] = []
        current: list[str] = []
        for n, value in enumerate(values):
            if value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            current.append(f"{x(n)},{y(value)}")
        if current:
            segments.append(" ".join(current))
        series.append(Series(key, name, summary, segments))
    ticks = [step * n for n in range(intervals + 1)]
    picks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    description = "; ".join(f"{s.label}: {s.total}" for s in series)
    if days:
        description = f"From {days[0]:%d %b %Y} to {days[-1]:%d %b %Y}. {description}."
    return LineChart(
        title=title,
        description=description,
        series=series,
        y_ticks=[(y(t), label(t)) for t in ticks],
        x_ticks=[(x(n), f"{days[n]:%d %b}") for n in picks],
    )


@dataclass
class Bar:
    label: str  # shortened to fit
    full_label: str
    value: str
    y: float
    width: float


@dataclass
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    width: int = WIDTH
    bar_left: int = 4
    bar_height: int = 16

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * BAR_ROW


def bar_chart(title: str, items: Sequence[tuple[str, int, float]]) -> BarChart:
    """Horizontal bars of ``(label, count, share 0..1)``, the longest bar the largest share."""
    longest = max((share for _, _, share in items), default=0.0) or 1.0
    room = WIDTH - 4 - 84  # leave space for the value after the bar
    bars = [
        Bar(
            label=label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…",
            full_label=label,
            value=f"{count:,} ({share:.0%})",
            y=n * BAR_ROW,
            width=round(max(2.0, room * share / longest) if count else 0.0, 1),
        )
        for n, (label, count, share) in enumerate(items)
    ]
    description = "; ".join(f"{b.full_label}: {b.value}" for b in bars) or "No answers yet."
    return BarChart(title=title, description=description, bars=bars)
