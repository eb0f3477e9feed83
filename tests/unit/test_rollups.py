"""Rollups analysts read first: monthly totals and the cross-source agreement table."""

from __future__ import annotations

import datetime as dt

from conflict_ingest.rollups import cross_source, monthly_totals

D = dt.date


def _r(source: str, count: int, start: dt.date, end: dt.date | None = None, **kw) -> dict:
    return {
        "source_id": source,
        "metric": kw.get("metric", "strikes"),
        "actor": kw.get("actor", "US-led coalition"),
        "location": kw.get("location"),
        "count": count,
        "period_start": start,
        "period_end": end or start,
        "qualifier": kw.get("qualifier", "exact"),
    }


def test_monthly_totals_sum_distinct_days_and_keep_the_stated_total() -> None:
    rows = [
        _r("a", 10, D(2016, 11, 1)),
        _r("b", 10, D(2016, 11, 1)),  # the same day's figure restated by another source: summed once
        _r("a", 7, D(2016, 11, 2)),
        _r("a", 300, D(2016, 11, 1), D(2016, 11, 30)),  # a stated month total
        _r("a", 999, D(2016, 10, 20), D(2016, 11, 5)),  # spans two months: not in any month's row
    ]
    (row,) = monthly_totals(rows)
    assert row["month"] == "2016-11"
    assert row["records"] == 4 and row["sources"] == 2
    assert row["sum_daily_counts"] == 17 and row["days_with_daily_counts"] == 2
    assert row["stated_month_total"] == 300 and row["max_count"] == 300


def test_monthly_totals_are_split_by_actor_metric_and_location() -> None:
    rows = [
        _r("a", 5, D(2016, 11, 3), location="Mosul"),
        _r("a", 6, D(2016, 11, 3), location="Raqqa"),
        _r("a", 2, D(2016, 11, 3), actor="Russia", location="Mosul"),
        _r("a", 40, D(2016, 11, 3), metric="killed", location="Mosul"),
    ]
    keys = {(r["actor"], r["metric"], r["location"]) for r in monthly_totals(rows)}
    assert len(keys) == 4


def test_cross_source_shows_agreement_and_disagreement() -> None:
    nov = (D(2016, 11, 1), D(2016, 11, 30))
    rows = [
        _r("a", 2709, *nov, metric="weapons_released"),
        _r("b", 2709, *nov, metric="weapons_released"),
        _r("a", 120, *nov),
        _r("c", 125, *nov),
        _r("a", 9, D(2016, 11, 2)),  # one source only: not in the table
    ]
    table = {(r["metric"], r["max_count"]): r for r in cross_source(rows)}
    assert set(table) == {("weapons_released", 2709), ("strikes", 125)}
    assert table[("weapons_released", 2709)]["agree"] is True
    disagreement = table[("strikes", 125)]
    assert disagreement["agree"] is False and disagreement["min_count"] == 120
    assert disagreement["sources"] == ["a", "c"] and disagreement["counts"] == ["a=120", "c=125"]


def test_vague_counts_are_never_added_to_stated_counts() -> None:
    rows = [
        _r("a", 4, D(2016, 11, 3), metric="killed"),
        _r("a", 3, D(2016, 11, 4), metric="killed", qualifier="vague"),  # "several": a lower bound
        _r("b", 24, D(2016, 11, 5), metric="killed", qualifier="vague"),  # "dozens"
    ]
    (row,) = monthly_totals(rows)
    assert row["records"] == 1 and row["sum_daily_counts"] == 4 and row["max_count"] == 4
    assert row["vague_records"] == 2 and row["vague_lower_bound"] == 27
    assert row["sources"] == 2


def test_a_month_of_vague_counts_only_has_no_stated_figure() -> None:
    (row,) = monthly_totals([_r("a", 3, D(2016, 11, 4), metric="killed", qualifier="vague")])
    assert row["records"] == 0 and row["max_count"] is None and row["sum_daily_counts"] is None
    assert row["vague_lower_bound"] == 3


def test_cross_source_compares_stated_counts_only() -> None:
    day = D(2016, 11, 2)
    rows = [_r("a", 5, day, metric="killed"), _r("b", 3, day, metric="killed", qualifier="vague")]
    assert cross_source(rows) == []
