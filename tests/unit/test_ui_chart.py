"""The view's bar chart as numbers: bars scaled to a round maximum, one slot and colour per series."""

from __future__ import annotations

from typing import Any

import pytest

from conflict_ingest.ui.chart import PALETTE, bar_chart, nice_ceiling


def total(month: str, actor: str, metric: str, value: int | None) -> dict[str, Any]:
    """A row of the monthly totals as the chart reads it (``None``: vague counts only)."""
    return {"month": month, "actor": actor, "metric": metric, "total": value}


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (3160, 5000), (50, 50)]
)
def test_the_axis_ends_at_a_round_value_at_or_above_the_largest_bar(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_bars_are_scaled_to_the_axis_and_grouped_by_month() -> None:
    rows = [
        total("2016-10", "US-led coalition", "weapons_released", 3038),
        total("2016-06", "US-led coalition", "weapons_released", 3160),
        total("2016-11", "United Kingdom", "strikes", 7),
        total("2016-11", "United Kingdom", "killed", None),  # vague only: no bar
    ]
    chart = bar_chart(rows, width=600, height=300, left=50, top=10, bottom=40, right=10)
    assert chart.y_max == 4000  # four round steps of 1,000 above the largest bar, 3,160
    assert [t.label for t in chart.x_ticks] == ["2016-06", "2016-10", "2016-11"]
    assert [t.label for t in chart.y_ticks] == ["0", "1,000", "2,000", "3,000", "4,000"]
    bars = {(b.month, b.series): b for b in chart.bars}
    assert len(bars) == 3
    tall = bars[("2016-06", "US-led coalition · weapons_released")]
    assert tall.height == pytest.approx(250 * 3160 / 4000, abs=0.1)
    assert tall.y + tall.height == pytest.approx(260)  # every bar stands on the axis
    small = bars[("2016-11", "United Kingdom · strikes")]
    assert small.height == pytest.approx(250 * 7 / 4000, abs=0.1)
    # one colour per series, in the legend's order; bars of a month sit inside its third of the plot
    assert chart.legend == [
        ("US-led coalition · weapons_released", PALETTE[0]),
        ("United Kingdom · strikes", PALETTE[1]),
    ]
    assert small.color == PALETTE[1]
    assert 50 + 2 * 540 / 3 <= small.x < 50 + 540
    assert all(b.width <= 56 for b in chart.bars)
    assert not chart.empty


def test_no_totals_make_an_empty_chart() -> None:
    chart = bar_chart([total("2016-11", "x", "killed", None)])
    assert chart.empty and chart.x_ticks == [] and chart.y_max == 4


def test_one_chart_per_metric_with_one_colour_per_actor_across_charts() -> None:
    from conflict_ingest.ui.chart import charts_by_metric

    rows = [
        total("2016-11", "United Kingdom", "strikes", 4),
        total("2016-11", "United Kingdom", "weapons_released", 9),
        total("2016-10", "US-led coalition", "weapons_released", 3038),
        total("2016-11", "x", "killed", None),
    ]
    charts = dict(charts_by_metric(rows))
    assert list(charts) == ["strikes", "weapons_released"]  # killed has vague counts only: no chart
    assert charts["strikes"].y_max == 4 and charts["weapons_released"].y_max == 4000  # own axes
    uk = {b.color for c in charts.values() for b in c.bars if b.series == "United Kingdom"}
    assert uk == {PALETTE[1]}  # "US-led coalition" sorts first, so PALETTE[0]
    assert [b.series for b in charts["weapons_released"].bars] == ["United Kingdom", "US-led coalition"]
