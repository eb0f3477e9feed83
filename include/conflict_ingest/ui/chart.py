"""A grouped bar chart's geometry: months along the bottom, one bar per (actor, metric) series.

Pure arithmetic on plain data; the plugin's template draws the result as inline SVG (no script,
nothing fetched), so the chart is tested here as numbers and the markup stays escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Colour-blind-safe palette (Okabe-Ito), one colour per series in order; repeats past eight.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    month: str
    series: str
    color: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class BarChart:
    """Everything the template needs, in SVG user units (``width`` x ``height``)."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    x_ticks: list[Tick]  # month labels, centred under their group
    y_ticks: list[Tick]  # value labels, at their height
    legend: list[tuple[str, str]]  # (series label, colour)
    y_max: int

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^k that is >= ``value`` (1 for anything <= 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def series_label(row: Mapping[str, Any]) -> str:
    return f"{row['actor']} · {row['metric']}"


def bar_chart(
    series: Iterable[Mapping[str, Any]],
    *,
    width: int = 960,
    height: int = 320,
    left: int = 64,
    top: int = 16,
    bottom: int = 40,
    right: int = 16,
) -> BarChart:
    """Bars for the rows of ``series`` (``month``, ``actor``, ``metric``, ``total``) that have a total;
    one group per month, the same slot (and colour) for a series in every month."""
    rows = [r for r in series if r.get("total") is not None]
    months = sorted({str(r["month"]) for r in rows})
    labels = list(dict.fromkeys(series_label(r) for r in sorted(rows, key=series_label)))
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    plot_width, plot_height = width - left - right, height - top - bottom
    y_max = nice_ceiling(max((int(r["total"]) for r in rows), default=1))
    group = plot_width / max(len(months), 1)
    slot = group * 0.8 / max(len(labels), 1)
    bars = []
    for r in rows:
        label = series_label(r)
        value = int(r["total"])
        bar_height = plot_height * value / y_max
        x = left + months.index(str(r["month"])) * group + group * 0.1 + labels.index(label) * slot
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top + plot_height - bar_height, 1),
                width=round(max(slot - 2, 1.5), 1),
                height=round(bar_height, 1),
                value=value,
                month=str(r["month"]),
                series=label,
                color=colors[label],
            )
        )
    x_ticks = [Tick(round(left + (i + 0.5) * group, 1), month) for i, month in enumerate(months)]
    y_ticks = [
        Tick(round(top + plot_height - plot_height * i / 4, 1), f"{y_max * i // 4:,}") for i in range(5)
    ]
    return BarChart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        legend=[(label, colors[label]) for label in labels],
        y_max=y_max,
    )
