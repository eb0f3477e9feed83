"""A grouped bar chart's geometry: months along the bottom, one bar per (actor, metric) series.

Pure arithmetic on plain data; the plugin's template draws the result as inline SVG (no script,
nothing fetched), so the chart is tested here as numbers and the markup stays escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Colour-blind-safe palette (Okabe-Ito), one colour per series in order; repeats past eight.
#: Steps of the value axis above zero.
TICKS = 4
#: The widest a bar gets (SVG units), however few bars a month has.
MAX_BAR_WIDTH = 56
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


def actor_label(row: Mapping[str, Any]) -> str:
    return str(row["actor"])


def charts_by_metric(series: Iterable[Mapping[str, Any]], **size: int) -> list[tuple[str, BarChart]]:
    """One chart per metric (strikes and people killed never share an axis), one bar per actor, in
    metric order; metrics with no total (vague counts only) get none."""
    rows = [r for r in series if r.get("total") is not None]
    metrics = sorted({str(r["metric"]) for r in rows})
    actors = sorted({actor_label(r) for r in rows})
    colors = {actor: PALETTE[i % len(PALETTE)] for i, actor in enumerate(actors)}  # one per actor everywhere
    return [
        (m, bar_chart([r for r in rows if r["metric"] == m], label=actor_label, colors=colors, **size))
        for m in metrics
    ]


def bar_chart(
    series: Iterable[Mapping[str, Any]],
    *,
    label: Callable[[Mapping[str, Any]], str] = series_label,
    colors: Mapping[str, str] | None = None,
    width: int = 960,
    height: int = 320,
    left: int = 64,
    top: int = 16,
    bottom: int = 40,
    right: int = 16,
) -> BarChart:
    """Bars for the rows of ``series`` (``month``, ``actor``, ``metric``, ``total``) that have a total;
    one group per month, the same slot (and colour) for a series (``label``: actor and metric by
    default) in every month; ``colors`` may fix some series' colours (else the palette in order)."""
    rows = [r for r in series if r.get("total") is not None]
    months = sorted({str(r["month"]) for r in rows})
    labels = sorted({label(r) for r in rows})
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(labels)} | dict(colors or {})
    plot_width, plot_height = width - left - right, height - top - bottom
    step = nice_ceiling(max((int(r["total"]) for r in rows), default=1) / TICKS)
    y_max = step * TICKS  # TICKS round steps: 0, 1,000, 2,000, ...
    group = plot_width / max(len(months), 1)
    slot = min(group * 0.8 / max(len(labels), 1), MAX_BAR_WIDTH)
    inset = (group - slot * len(labels)) / 2  # the month's bars centred in its group
    bars = []
    for r in rows:
        name = label(r)
        value = int(r["total"])
        bar_height = plot_height * value / y_max
        x = left + months.index(str(r["month"])) * group + inset + labels.index(name) * slot
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top + plot_height - bar_height, 1),
                width=round(max(slot - 2, 1.5), 1),
                height=round(bar_height, 1),
                value=value,
                month=str(r["month"]),
                series=name,
                color=colors[name],
            )
        )
    x_ticks = [Tick(round(left + (i + 0.5) * group, 1), month) for i, month in enumerate(months)]
    y_ticks = [
        Tick(round(top + plot_height - plot_height * i / TICKS, 1), f"{step * i:,}") for i in range(TICKS + 1)
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
        legend=[(name, colors[name]) for name in labels],
        y_max=y_max,
    )
