"""Pages that give only the month they were published in ("Notice 2019-03-TR-112", a reference number):
htmldate reads such a month as its 1st, which made "yesterday" the last day of the month before. The
cleaner keeps the month apart (``published_month``), never as a day; the extractor takes its year (for a
dateline without one) and counts no day words from it.

Every page and sentence here is written for the test."""

from __future__ import annotations

import datetime as dt

import pytest

from conflict_ingest.clean import dates
from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.page import Block, CleanedPage
from conflict_ingest.extract.reader import extract_records
from conflict_ingest.pipeline.extract import records_for_page
from conflict_ingest.pipeline.payloads import CleanedRow


def release(*paragraphs: str) -> str:
    """A defence ministry's press release page: a reference number, the release, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Press release</title></head><body>"
        "<div class='site-header'><a href='/'>Ministry of Defence</a></div>"
        f"<main><article><h1>Press release</h1>{body}</article></main>"
        "<footer><p>Ministry of Defence press office</p></footer></body></html>"
    )


STRIKE = (
    "Air force jets struck a weapons depot near the river crossing yesterday, killing four fighters, "
    "the ministry said in a statement. Engineers later confirmed that the depot had been destroyed."
)
REF = "Reference 2019-03-TR-112. For immediate release."


@pytest.mark.parametrize(
    ("text", "day", "printed"),
    [
        ("Issued on March 1, 2019 by the press office", "2019-03-01", True),
        ("Issued on 1 March 2019", "2019-03-01", True),
        ("stamp 2019-03-01T08:00", "2019-03-01", True),
        ("Issued 01.03.2019", "2019-03-01", True),
        ("Reference 2019-03-TR-112", "2019-03-01", False),
        ("Issued on March 11, 2019", "2019-03-01", False),
    ],
)
def test_a_day_is_printed_only_in_a_form_that_names_it(text: str, day: str, printed: bool) -> None:
    assert dates.states_day(text, day) is printed


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("Reference 2019-03-TR-112", True),
        ("Archive: March 2019", True),
        ("Issued 2019-03-14", False),  # a day follows the month
        ("Issued 14 March 2019", False),  # a day before the month name
        ("Archive: April 2019", False),  # another month
        ("Serial 12019-03", False),  # not a year
    ],
)
def test_a_month_alone_is_a_month_without_a_day(text: str, alone: bool) -> None:
    assert dates.states_month_alone(text, 2019, 3) is alone


def test_a_reference_number_gives_the_month_and_no_publication_day() -> None:
    page = clean_html(release(REF, STRIKE))
    assert (page.published_at, page.published_month) == (None, "2019-03")
    assert page.to_json()["published_month"] == "2019-03"


def test_the_first_of_the_month_printed_on_the_page_is_its_day() -> None:
    page = clean_html(release(REF, "Issued on 1 March 2019.", STRIKE))
    assert (page.published_at, page.published_month) == ("2019-03-01", None)


def test_day_words_are_not_counted_from_a_month() -> None:
    (rec,) = extract_records(clean_html(release(REF, STRIKE)))
    assert (rec.metric, rec.count) == ("killed", 4)
    # "yesterday" of some day in March 2019 is no day: no period rather than the last day of February
    assert rec.period_start is None and rec.period_end is None


def test_a_dateline_without_a_year_takes_the_month_s_year() -> None:
    lead = "ALDERSHOT (March 14) - " + STRIKE
    (rec,) = extract_records(clean_html(release(REF, lead)))
    assert rec.period_start == rec.period_end == dt.date(2019, 3, 13)
    # the same page without the reference number has no year to give the dateline
    (undated,) = extract_records(clean_html(release(lead)))
    assert undated.period_start is None


def test_the_pipeline_row_carries_the_month_to_extraction() -> None:
    page = CleanedPage(
        title="Press release",
        published_at=None,
        text="",
        canonical_url="https://mod.example/releases/112",
        blocks=(Block("p", "ALDERSHOT (March 14) - " + STRIKE),),
        language="en",
        published_month="2019-03",
    )
    row = CleanedRow(
        url=page.canonical_url or "",
        final_url=page.canonical_url or "",
        seen_urls=[page.canonical_url or ""],
        raw_key="raw/mod/112.html",
        sha256="0" * 64,
        content_type="text/html",
        fetched_at="2019-03-15T02:00:00+00:00",
        not_modified=False,
        published_hint=None,
        title_hint=None,
        source_id="mod",
        title=page.title,
        published_at=None,
        page_published_at=None,
        canonical_url=page.canonical_url or "",
        text=page.blocks[0].text,
        blocks=[{"kind": "p", "text": page.blocks[0].text, "timestamp": None}],
        clean_notes=[],
        language="en",
        published_month="2019-03",
    )
    again = CleanedRow.from_json(row.to_json())
    assert again.published_month == "2019-03"
    (rec,) = records_for_page(again)
    assert (rec["count"], str(rec["period_start"])) == (4, "2019-03-13")
    # a row written before the field existed reads as a page without a month
    old = row.to_json()
    del old["published_month"]
    assert CleanedRow.from_json(old).published_month is None
