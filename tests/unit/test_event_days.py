"""Event days read across a page: days stated in an earlier sentence, datelines, a war's start, running
totals and the article's subject period (the sentences are this project's own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from conflict_ingest.extract import extract_records
from conflict_ingest.extract.context import (
    conflict_start,
    dateline_day,
    incident_days,
    page_times,
    subject_period,
)
from conflict_ingest.extract.periods import PeriodContext, find_time_expressions
from conflict_ingest.records import Extraction

D = dt.date
THU = "2021-06-10"  # a Thursday


@dataclass(frozen=True)
class _Block:
    text: str
    kind: str = "p"
    timestamp: str | None = None


@dataclass(frozen=True)
class _Page:
    paragraphs: Sequence[str]
    published_at: str | None = THU
    title: str = "Fighting in the north"
    stamps: Sequence[str | None] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def blocks(self) -> list[_Block]:
        stamps = list(self.stamps) or [None] * len(self.paragraphs)
        return [_Block(t, timestamp=s) for t, s in zip(self.paragraphs, stamps, strict=True)]


def _records(*paragraphs: str, **kw: object) -> list[Extraction]:
    return extract_records(_Page(paragraphs, **kw))  # type: ignore[arg-type]


def _period(rec: Extraction) -> tuple[dt.date | None, dt.date | None]:
    return rec.period_start, rec.period_end


def _only(records: list[Extraction], metric: str) -> Extraction:
    got = [r for r in records if r.metric == metric]
    assert len(got) == 1, records
    return got[0]


@pytest.mark.parametrize(
    ("paragraphs", "day"),
    [
        # a weekday told in an earlier sentence of the same paragraph
        (
            ("On Tuesday, troops raided a farmhouse in the hills.", "Two insurgents were killed."),
            D(2021, 6, 8),
        ),
        # ... or in an earlier paragraph
        (
            ("Soldiers cleared the old bazaar on Monday.", "Four militants were killed in the fighting."),
            D(2021, 6, 7),
        ),
        # a date told earlier
        (
            ("The patrol came under fire on June 4 near the river.", "Three insurgents were killed."),
            D(2021, 6, 4),
        ),
        # "last night" and "yesterday" are the day before publication, "this morning" the publication day
        (("Troops killed three militants in the valley last night.",), D(2021, 6, 9)),
        (("Troops killed three militants in the valley yesterday.",), D(2021, 6, 9)),
        (("Troops killed three militants in the valley this morning.",), D(2021, 6, 10)),
        # a later day of the same incident
        (("Troops raided the village on Monday.", "The next day, five fighters were killed."), D(2021, 6, 8)),
    ],
)
def test_a_count_takes_the_incident_day_an_earlier_sentence_stated(
    paragraphs: tuple[str, ...], day: dt.date
) -> None:
    rec = _only(_records(*paragraphs), "killed")
    assert _period(rec) == (day, day)


def test_without_a_stated_day_the_count_keeps_the_publication_day() -> None:
    rec = _only(_records("Soldiers searched the old bazaar.", "Four militants were killed."), "killed")
    assert _period(rec) == (D(2021, 6, 10), D(2021, 6, 10))


def test_a_date_naming_another_event_is_not_the_incident_day() -> None:
    recs = _records(
        "Jets struck a commander linked to the June 2 bombing of a market.",
        "Six fighters were killed.",
    )
    assert _period(_only(recs, "killed")) == (D(2021, 6, 10), D(2021, 6, 10))


def test_a_day_to_come_is_not_the_incident_day() -> None:
    recs = _records("Talks are due to resume in the capital on Monday.", "Four militants were killed.")
    assert _period(_only(recs, "killed")) == (D(2021, 6, 10), D(2021, 6, 10))


def test_the_incident_day_stays_in_its_own_live_blog_entry() -> None:
    recs = _records(
        "On Tuesday, troops raided a farmhouse in the hills.",
        "Two insurgents were killed.",
        stamps=("2021-06-10T08:00", "2021-06-10T09:00"),
    )
    assert _period(_only(recs, "killed")) == (D(2021, 6, 10), D(2021, 6, 10))


def test_a_dateline_anchors_the_page_and_is_never_the_event_day() -> None:
    recs = _records(
        "HERAT, Afghanistan (June 10, 2021) - Troops killed three militants in the valley yesterday.",
        published_at=None,
    )
    assert _period(_only(recs, "killed")) == (D(2021, 6, 9), D(2021, 6, 9))
    # with the publication day given, "overnight" after a dateline is still the night before
    recs = _records("HERAT, June 10 - Troops killed three militants in a raid overnight.")
    assert _only(recs, "killed").period_start == D(2021, 6, 9)


def test_a_dateline_alone_in_its_paragraph_wins_over_a_stamp_days_off() -> None:
    # a page stamped with its month's first day; the dateline is the text's own filing day
    recs = _records(
        "KUNDUZ, Afghanistan (Oct. 13)",
        "Troops killed two militants in the district today.",
        published_at="2012-10-01",
    )
    assert _period(_only(recs, "killed")) == (D(2012, 10, 13), D(2012, 10, 13))
    # a dateline far from the stamp (another story's, a typo) is not trusted
    recs = _records(
        "KUNDUZ, Afghanistan (March 13)", "Troops killed two militants today.", published_at="2012-10-01"
    )
    assert _period(_only(recs, "killed")) == (D(2012, 10, 1), D(2012, 10, 1))


@pytest.mark.parametrize(
    "friday", ["Fighting flared on Friday along the border.", "On Friday, troops pushed into the valley."]
)
def test_over_the_weekend_after_friday_is_one_span(friday: str) -> None:
    recs = _records(
        friday,
        "Over the weekend, jets carried out 40 strikes on the ridge.",
        published_at="2021-06-14",  # a Monday
    )
    assert _period(_only(recs, "strikes")) == (D(2021, 6, 11), D(2021, 6, 13))


def test_friday_and_the_weekend_in_one_sentence_is_one_span() -> None:
    recs = _records(
        "Jets struck on Friday and through the weekend, carrying out 12 strikes.", published_at="2021-06-14"
    )
    assert _period(_only(recs, "strikes")) == (D(2021, 6, 11), D(2021, 6, 13))


def test_the_weekend_alone_is_saturday_and_sunday() -> None:
    recs = _records("Over the weekend, jets carried out 40 strikes on the ridge.", published_at="2021-06-14")
    assert _period(_only(recs, "strikes")) == (D(2021, 6, 12), D(2021, 6, 13))


@pytest.mark.parametrize(
    "since",
    ["since the war began", "since the invasion", "since the start of the war", "since Russia invaded"],
)
def test_since_the_war_began_reads_the_wars_start_from_the_table(since: str) -> None:
    recs = _records(
        f"Russia has launched 5,000 drones at Ukraine {since}.",
        published_at="2024-03-01",
    )
    rec = _only(recs, "weapons_released")
    assert _period(rec) == (D(2022, 2, 24), D(2024, 3, 1))


def test_since_the_start_of_the_year_runs_from_january_first() -> None:
    recs = _records(
        "Troops raided a farmhouse on Tuesday.", "Jets have killed 50 fighters since the start of the year."
    )
    assert _period(_only(recs, "killed")) == (D(2021, 1, 1), D(2021, 6, 10))


def test_since_an_invasion_in_a_stated_month_runs_from_that_month() -> None:
    recs = _records(
        "Russia has fired 9,000 missiles at Ukraine since it invaded in March 2022.",
        published_at="2024-03-01",
    )
    assert _period(_only(recs, "weapons_released")) == (D(2022, 3, 1), D(2024, 3, 1))


def test_a_start_the_page_states_wins_over_the_table() -> None:
    recs = _records(
        "The new offensive against Islamic State began on Jan. 5.",
        "Since the offensive began, jets have carried out 300 strikes.",
        published_at="2016-02-01",
    )
    assert _period(_only(recs, "strikes")) == (D(2016, 1, 5), D(2016, 2, 1))


def test_a_running_total_runs_from_the_campaigns_start_to_its_cut_off() -> None:
    recs = _records(
        "The air campaign began on Feb. 20.",
        "By March 3, jets had carried out 65 strikes.",
        published_at="2021-03-05",
    )
    assert _period(_only(recs, "strikes")) == (D(2021, 2, 20), D(2021, 3, 3))


def test_a_running_total_without_a_start_still_ends_on_its_cut_off() -> None:
    recs = _records("By March 3, jets had carried out 65 strikes.", published_at="2021-03-05")
    assert _only(recs, "strikes").period_end == D(2021, 3, 3)


def test_a_total_takes_the_year_the_article_is_about() -> None:
    recs = _records(
        "In March the pace quickened, with 200 strikes.",
        "Jets flew a total of 1,200 strikes.",
        title="The coalition's air war in 2017, in numbers",
        published_at="2018-01-15",
    )
    totals = [r for r in recs if r.count == 1200]
    assert [_period(r) for r in totals] == [(D(2017, 1, 1), D(2017, 12, 31))]


@pytest.mark.parametrize(
    "sentence",
    [
        "Troops searched Maya village and killed two fighters.",
        "Prime Minister May said jets killed two fighters.",
        "Thousands March through the capital after jets killed two fighters.",
    ],
)
def test_a_place_a_name_or_a_verb_is_never_a_month(sentence: str) -> None:
    rec = _only(_records(sentence), "killed")
    assert _period(rec) == (D(2021, 6, 10), D(2021, 6, 10))


def test_month_words_with_a_day_a_year_or_a_cue_are_months() -> None:
    ctx = PeriodContext(ref=D(2021, 6, 10))
    for text, start in [
        ("Jets struck in May.", D(2021, 5, 1)),
        ("Jets struck on May 3.", D(2021, 5, 3)),
        ("May 2019 was quiet.", D(2019, 5, 1)),
        ("May was the worst month.", D(2021, 5, 1)),
    ]:
        exprs, _cut = find_time_expressions(text, ctx)
        assert [e.period_start for e in exprs] == [start], text


def test_page_context_helpers() -> None:
    texts = ["BASRA, Iraq, April 2 (Wire) - Shelling hit the port."]
    assert dateline_day(texts, 2004) == D(2004, 4, 2)
    assert dateline_day(["Shelling hit the port on April 2."], 2004) is None
    assert conflict_start(["Shelling hit Gaza City."], D(2024, 1, 5)) == D(2023, 10, 7)
    assert conflict_start(["Shelling hit Gaza City."], D(2015, 1, 5)) is None  # before the table's war
    ctx = PeriodContext(ref=D(2018, 1, 15))
    assert subject_period("Strikes in October 2017", "", ctx) == (D(2017, 10, 1), D(2017, 10, 31))
    assert subject_period("Strikes on Oct. 3, 2017", "", ctx) is None  # a day is an event, not a subject
    assert subject_period("Strikes in 2016 and 2017", "", ctx) is None  # two years: no one subject
    lead = "Figures released on Tuesday show the air war peaked in 2017."
    assert subject_period("Air war figures", lead, ctx) == (D(2017, 1, 1), D(2017, 12, 31))
    assert subject_period("Strikes so far this year", "", ctx) is None  # a running total is no subject
    times = page_times("A quiet week", texts, None, 2004)
    assert (times.ref, times.year, times.subject) == (D(2004, 4, 2), 2004, None)
    sentence = "Jets hit a site tied to the June 2 bombing on Friday."
    exprs, _cut = find_time_expressions(sentence, PeriodContext(ref=D(2021, 6, 10)))
    assert incident_days(exprs, sentence) == (D(2021, 6, 4), D(2021, 6, 4))
