"""Time expressions resolved to the days they cover."""

from __future__ import annotations

import datetime as dt

import pytest

from conflict_ingest.extract.periods import (
    PeriodContext,
    date_from_url,
    day_range_span,
    find_time_expressions,
    parse_reference_date,
    year_from_text,
)

D = dt.date
WED = D(2020, 3, 18)  # a Wednesday


def _only(sentence: str, ctx: PeriodContext) -> tuple[dt.date | None, dt.date | None]:
    exprs, _cut = find_time_expressions(sentence, ctx)
    assert len(exprs) == 1, exprs
    return exprs[0].period_start, exprs[0].period_end


@pytest.mark.parametrize(
    ("sentence", "start", "end"),
    [
        ("Jets struck the town on Monday.", D(2020, 3, 16), D(2020, 3, 16)),
        ("Jets struck the town on Wednesday.", WED, WED),
        ("Jets struck the town yesterday.", D(2020, 3, 17), D(2020, 3, 17)),
        ("Raids went on Monday and Tuesday.", D(2020, 3, 16), D(2020, 3, 17)),
        ("Raids went on between Saturday and Monday.", D(2020, 3, 14), D(2020, 3, 16)),
        ("Raids went on overnight into Wednesday.", D(2020, 3, 17), WED),
        ("Raids went on in the past 24 hours.", D(2020, 3, 17), WED),
        ("Raids went on in the 24 hours to Tuesday.", D(2020, 3, 16), D(2020, 3, 17)),
        ("Raids went on last week.", D(2020, 3, 11), D(2020, 3, 17)),
        ("Raids went on in February.", D(2020, 2, 1), D(2020, 2, 29)),
        ("Raids went on in December.", D(2019, 12, 1), D(2019, 12, 31)),
        ("Raids went on last December.", D(2019, 12, 1), D(2019, 12, 31)),
        ("Raids went on in 2018.", D(2018, 1, 1), D(2018, 12, 31)),
        ("Raids went on in 2020.", D(2020, 1, 1), D(2020, 12, 31)),
        ("Raids went on between 2015 and 2017.", D(2015, 1, 1), D(2017, 12, 31)),
        ("Raids went on from Jan. 3 to Feb. 9.", D(2020, 1, 3), D(2020, 2, 9)),
        ("Raids went on in the first quarter.", D(2020, 1, 1), D(2020, 3, 31)),
        ("Raids went on in the second half of 2019.", D(2019, 7, 1), D(2019, 12, 31)),
        ("Raids went on so far this year.", D(2020, 1, 1), WED),
        ("Raids went on since Feb. 2.", D(2020, 2, 2), WED),
        ("Raids went on since the campaign began in August 2014.", D(2014, 8, 1), WED),
    ],
)
def test_expression_resolves_against_the_publication_day(sentence: str, start: dt.date, end: dt.date) -> None:
    assert _only(sentence, PeriodContext(ref=WED)) == (start, end)


def test_month_without_a_year_takes_the_year_the_text_is_about_when_undated() -> None:
    assert _only("Jets dropped bombs in October.", PeriodContext(ref=None, year=2016)) == (
        D(2016, 10, 1),
        D(2016, 10, 31),
    )


def test_reporting_day_is_not_a_period() -> None:
    exprs, _ = find_time_expressions(
        "Twelve raids took place, the ministry said on Tuesday.", PeriodContext(ref=WED)
    )
    assert exprs == []


def test_cutoff_is_returned_separately_and_since_start_becomes_an_anchor() -> None:
    ctx = PeriodContext(ref=WED)
    exprs, cutoff = find_time_expressions(
        "Since the war began on March 26, 2015, monitors logged raids through Sept. 30.", ctx
    )
    assert (exprs[0].period_start, exprs[0].kind) == (D(2015, 3, 26), "since")
    assert cutoff is not None and cutoff.period_end == D(2019, 9, 30)
    assert ctx.anchors == [D(2015, 3, 26)]


def test_first_hours_of_an_event_count_from_its_start() -> None:
    ctx = PeriodContext(ref=WED, anchors=[D(2020, 3, 16)])
    assert _only("Rockets fell in the first 48 hours of the escalation.", ctx) == (D(2020, 3, 16), WED)


def test_n_day_operation_that_began_on_a_date_spans_n_days() -> None:
    ctx = PeriodContext(ref=WED)
    assert _only("During the 10-day push, which began on March 1, bombs fell.", ctx) == (
        D(2020, 3, 1),
        D(2020, 3, 10),
    )


def test_the_month_before_that_follows_the_last_month_named() -> None:
    exprs, _ = find_time_expressions(
        "Ten in January, 12 in December and 9 the month before that.", PeriodContext(ref=WED)
    )
    assert [(e.period_start, e.period_end) for e in exprs][-1] == (D(2019, 11, 1), D(2019, 11, 30))


def test_reference_dates_from_iso_compact_and_url() -> None:
    assert parse_reference_date("2021-05-12T08:05:00+03:00") == D(2021, 5, 12)
    assert parse_reference_date("20170407") == D(2017, 4, 7)
    assert date_from_url("https://example.test/world/2014/10/14/story") == D(2014, 10, 14)
    assert date_from_url("https://example.test/story") is None


def test_undated_article_year_is_the_latest_year_its_text_names() -> None:
    assert year_from_text(["Weapons released in 2015 were fewer.", "The busiest month of 2016."]) == 2016


@pytest.mark.parametrize(
    ("sentence", "start", "end"),
    [
        ("Raids went on in the first six months of the year.", D(2020, 1, 1), D(2020, 6, 30)),
        ("Raids went on in the early hours of Friday.", D(2020, 3, 13), D(2020, 3, 13)),
        ("Raids went on before dawn on Thursday.", D(2020, 3, 12), D(2020, 3, 12)),
        ("Raids began late on Saturday and ran into Sunday morning.", D(2020, 3, 14), D(2020, 3, 15)),
        ("Raids went on Tuesday night and Wednesday morning.", D(2020, 3, 17), WED),
        ("Raids went on between Saturday and today.", D(2020, 3, 14), WED),
        ("Raids went on over the past 24 hours.", D(2020, 3, 17), WED),
        ("Raids went on since Oct. 17.", D(2019, 10, 17), WED),
        ("Raids went on since the coup in February 2019.", D(2019, 2, 1), WED),
        ("Raids went on since the alliance took command of the operation on March 2.", D(2020, 3, 2), WED),
    ],
)
def test_more_period_forms_of_the_annotation_rules(sentence: str, start: dt.date, end: dt.date) -> None:
    assert _only(sentence, PeriodContext(ref=WED)) == (start, end)


def test_range_of_months_covers_both_whole_months() -> None:
    ctx = PeriodContext(ref=D(2020, 6, 10))
    assert _only("Raids went on between March and May.", ctx) == (D(2020, 3, 1), D(2020, 5, 31))


def test_first_week_of_an_operation_is_seven_days_from_its_start() -> None:
    ctx = PeriodContext(ref=WED, anchors=[D(2020, 3, 2)])
    assert _only("Raids went on in the first week of the operation.", ctx) == (D(2020, 3, 2), D(2020, 3, 8))


@pytest.mark.parametrize(
    ("sentence", "end"),
    [
        ("Jets flew 900 sorties through the end of February.", D(2020, 2, 29)),
        ("Jets had flown 900 sorties by Dec. 20, 2016.", D(2016, 12, 20)),
        ("Jets flew 900 sorties to May 31.", D(2019, 5, 31)),
    ],
)
def test_cut_offs_end_a_cumulative_total(sentence: str, end: dt.date) -> None:
    _exprs, cutoff = find_time_expressions(sentence, PeriodContext(ref=WED))
    assert cutoff is not None and cutoff.period_end == end


@pytest.mark.parametrize(
    ("cell", "start", "end"),
    [
        ("3–9 March", D(2024, 3, 3), D(2024, 3, 9)),
        ("10-16 March", D(2024, 3, 10), D(2024, 3, 16)),
        ("March 17-23", D(2024, 3, 17), D(2024, 3, 23)),
        ("24 to 31 March", D(2024, 3, 24), D(2024, 3, 31)),
        ("Mar 3 - 9", D(2024, 3, 3), D(2024, 3, 9)),
        ("3rd–9th March 2023", D(2023, 3, 3), D(2023, 3, 9)),
        ("Week 2 (10–16 March)", D(2024, 3, 10), D(2024, 3, 16)),
        ("April 1 through 6, 2022", D(2022, 4, 1), D(2022, 4, 6)),
    ],
)
def test_a_range_of_days_in_one_month_covers_every_day_of_it(cell: str, start: dt.date, end: dt.date) -> None:
    assert day_range_span(cell, PeriodContext(ref=None, year=2024)) == (start, end)


@pytest.mark.parametrize(
    "cell", ["3 March", "9–3 March", "30-35 April", "March", "2-3 km", "Total", "2023-2024"]
)
def test_what_is_not_a_range_of_days_gives_no_span(cell: str) -> None:
    assert day_range_span(cell, PeriodContext(ref=None, year=2024)) is None


def test_a_range_of_days_without_a_year_takes_the_latest_before_the_reference_day() -> None:
    ctx = PeriodContext(ref=D(2024, 1, 10), year=2024)
    assert day_range_span("20–26 December", ctx) == (D(2023, 12, 20), D(2023, 12, 26))
