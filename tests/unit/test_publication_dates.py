"""Publication dates: each kind of evidence alone, and their order (structured data, explicit meta
tags, htmldate's original date, then our own weaker readings).

Every page here is written for the test; the expected dates are the ones the page states.
"""

from __future__ import annotations

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.metadata import PUBLISHED_DATE_RULES, _htmldate_tree

PROSE = (
    "<p>Engineers reopened the river crossing on the northern road after three weeks of repairs, "
    "the regional transport office said in a statement to reporters.</p>"
    "<p>Traffic was expected to return to normal by the weekend, although heavy lorries would still "
    "need a permit to cross until the final inspection of the deck is complete.</p>"
    "<p>Residents of the villages on both banks had used a ferry during the closure, which added "
    "more than an hour to the journey to the market town.</p>"
)


def story(
    head: str = "",
    header: str = "",
    above: str = "",
    after: str = "",
    sidebar: str = "",
    masthead: str = "",
) -> str:
    """A news page: masthead, an article (``above`` the headline, ``header`` under it), a sidebar."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Crossing reopens | Valley Courier</title>"
        f"{head}</head><body>"
        f"<div class='site-header'>{masthead}<a href='/'>Valley Courier</a></div>"
        f"<main><article>{above}<h1>River crossing reopens after repairs</h1>{header}"
        f"<div class='story-body'>{PROSE}</div>{after}</article>"
        f"<aside class='sidebar'><h3>Most read</h3>{sidebar}<ul><li><a href='/x'>Market hall to close "
        f"for a week</a></li></ul></aside></main>"
        f"<footer><p>Valley Courier, all rights reserved</p></footer></body></html>"
    )


def published(html: str, url: str | None = None) -> str | None:
    return clean_html(html, url).published_at


# --- each kind of evidence, alone ----------------------------------------------------------------


def test_json_ld_date_published() -> None:
    head = '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-11-03T07:30:00+01:00"}</script>'
    assert published(story(head=head)) == "2021-11-03T07:30:00+01:00"


@pytest.mark.parametrize(
    "tag",
    [
        "<meta property='article:published_time' content='2021-11-03T07:30:00+01:00'>",
        "<meta property='og:published_time' content='2021-11-03T07:30:00+01:00'>",
        "<meta name='dc.date.issued' content='2021-11-03T07:30:00+01:00'>",
        "<meta name='parsely-pub-date' content='2021-11-03T07:30:00+01:00'>",
        "<meta name='sailthru.date' content='2021-11-03T07:30:00+01:00'>",
    ],
)
def test_publication_meta_tags(tag: str) -> None:
    assert published(story(head=tag)) == "2021-11-03T07:30:00+01:00"


def test_time_element_with_datetime_in_the_article_header() -> None:
    header = "<p class='byline'>By Ana Ruiz, <time datetime='2021-11-03'>3 November 2021</time></p>"
    assert (published(story(header=header)) or "")[:10] == "2021-11-03"


def test_old_style_pubdate_attribute() -> None:
    header = "<p><time pubdate datetime='2021-11-03T09:15:00Z'>3 Nov</time></p>"
    assert (published(story(header=header)) or "")[:10] == "2021-11-03"


def test_printed_dateline_without_markup() -> None:
    header = "<div class='story-info'>Posted on Wednesday, November 3, 2021 at 9:15 am</div>"
    assert (published(story(header=header)) or "")[:10] == "2021-11-03"


def test_date_printed_above_the_headline_in_the_article() -> None:
    above = "<div class='kicker'>Transport &middot; 3 November 2021</div>"
    assert (published(story(above=above)) or "")[:10] == "2021-11-03"


def test_date_in_the_url() -> None:
    assert published(story(), "https://courier.example/news/2021/11/03/crossing-reopens") == "2021-11-03"


def test_generic_meta_date_when_nothing_else_dates_the_page() -> None:
    assert (published(story(head="<meta name='date' content='2021-11-03'>")) or "")[:10] == "2021-11-03"


def test_undated_page_gives_none() -> None:
    assert published(story(), "https://courier.example/news/crossing-reopens") is None


# --- order of the evidence -----------------------------------------------------------------------


def test_json_ld_date_published_beats_a_later_date_modified_and_modified_meta() -> None:
    head = (
        "<meta property='article:modified_time' content='2022-02-14T12:00:00Z'>"
        '<script type="application/ld+json">{"@type":"NewsArticle","dateModified":"2022-02-14T12:00:00Z",'
        '"datePublished":"2021-11-03T07:30:00+01:00"}</script>'
    )
    header = "<p class='byline'>Updated <time datetime='2022-02-14T12:00:00Z'>14 February 2022</time></p>"
    assert published(story(head=head, header=header)) == "2021-11-03T07:30:00+01:00"


def test_publication_meta_beats_sidebar_and_body_dates() -> None:
    head = "<meta property='article:published_time' content='2021-11-03T07:30:00+01:00'>"
    sidebar = "<p class='date'>1 October 2021</p>"
    header = "<div class='date'>5 November 2021</div>"
    assert published(story(head=head, header=header, sidebar=sidebar)) == "2021-11-03T07:30:00+01:00"


def test_publication_meta_beats_the_url_day() -> None:
    head = "<meta property='article:published_time' content='2021-11-03T23:30:00-05:00'>"
    url = "https://courier.example/2021/11/04/crossing-reopens"
    assert published(story(head=head), url) == "2021-11-03T23:30:00-05:00"


def test_htmldate_answer_beats_a_weak_date_printed_in_the_body() -> None:
    # our own dateline reading would take the date class below the headline; htmldate reads the URL
    header = "<div class='date'>Photographs: 9 November 2021</div>"
    url = "https://courier.example/2021/11/03/crossing-reopens"
    assert (published(story(header=header), url) or "")[:10] == "2021-11-03"


def test_publication_stamp_beats_an_earlier_printed_update_stamp() -> None:
    header = (
        "<p><time class='updated' datetime='2022-02-14T12:00:00Z'>14 Feb 2022</time> "
        "<time class='entry-date published' datetime='2021-11-03T07:30:00Z'>3 Nov 2021</time></p>"
    )
    assert published(story(header=header)) == "2021-11-03T07:30:00+00:00"


def test_an_update_stamp_after_an_html_comment_is_still_recognised() -> None:
    header = (
        "<p>Updated <!-- edit time --><time datetime='2022-02-14T12:00:00Z'>14 Feb 2022</time>, "
        "first published <!-- pub --><time datetime='2021-11-03T07:30:00Z'>3 Nov 2021</time></p>"
    )
    assert published(story(header=header)) == "2021-11-03T07:30:00+00:00"


def test_a_stamp_classed_both_published_and_updated_is_the_publication() -> None:
    header = (
        "<p><time class='entry-date published updated' datetime='2021-11-03T07:30:00Z'>3 Nov 2021</time></p>"
    )
    assert published(story(header=header)) == "2021-11-03T07:30:00+00:00"


def test_date_modified_microdata_is_not_the_publication() -> None:
    header = (
        "<p>Last changed <span itemprop='dateModified'>2022-02-14</span>; "
        "first out <span itemprop='datePublished'>2021-11-03</span></p>"
    )
    assert (published(story(header=header)) or "")[:10] == "2021-11-03"


# --- chrome stays out ----------------------------------------------------------------------------


def test_updated_site_clock_in_the_masthead_is_not_the_date() -> None:
    masthead = "<span class='header-date'>Updated 10:02 GMT, Monday 7 June 2021</span>"
    assert published(story(masthead=masthead), "https://courier.example/news/crossing-reopens") is None


def test_older_teaser_dates_in_the_sidebar_are_not_the_date() -> None:
    sidebar = "<p>Bridge survey begins &ndash; 12 March 2019</p><p>Ferry fares rise &ndash; 2 May 2019</p>"
    assert published(story(sidebar=sidebar), "https://courier.example/news/crossing-reopens") is None


def test_top_bar_clock_is_not_the_date() -> None:
    html = story().replace(
        "<div class='site-header'>", "<div class='top-bar'><span>Monday, 7 June 2021</span></div><div>"
    )
    assert published(html, "https://courier.example/news/crossing-reopens") is None


def test_reader_comment_dates_are_not_the_date() -> None:
    after = "<div class='comments'><p class='date'>4 November 2021</p><p>Good news at last.</p></div>"
    assert published(story(after=after), "https://courier.example/news/crossing-reopens") is None


@pytest.mark.parametrize(
    "after",
    [
        "<p class='credits'>Photographs &copy; 2019 River Images</p>",
        "<p>The bridge first opened in 1998 and was widened in 2009.</p>",
    ],
)
def test_a_lone_year_is_not_read_as_january_first(after: str) -> None:
    assert published(story(after=after), "https://courier.example/news/crossing-reopens") is None


# --- the rules -----------------------------------------------------------------------------------


def test_rules_are_named_and_documented_with_an_example() -> None:
    names = [name for name, _ in PUBLISHED_DATE_RULES]
    assert len(names) == len(set(names))
    for _, rule in PUBLISHED_DATE_RULES:
        assert rule.__doc__ and any(ch.isdigit() for ch in rule.__doc__)


def test_structured_evidence_is_read_before_htmldate_and_htmldate_before_our_own_heuristics() -> None:
    names = [name for name, _ in PUBLISHED_DATE_RULES]
    htmldate_at = names.index("htmldate_original")
    assert max(names.index("jsonld_date_published"), names.index("meta_published_time")) < htmldate_at
    for weak in ("printed_dateline", "meta_generic_date", "url_date", "microdata_date_published"):
        assert names.index(weak) > htmldate_at


@pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")
def test_a_page_that_is_only_a_url_is_never_fetched_by_htmldate() -> None:
    assert _htmldate_tree("http://127.0.0.1:9/elsewhere", huge=False) is None
    assert published("http://127.0.0.1:9/elsewhere") is None


# --- the site's date of the day above the headline ------------------------------------------------

GAZETTE_BODY = (
    "<p>Reaper crews based at the airfield have flown more than 600 sorties over northern Iraq since the "
    "deployment began in October 2014, the wing commander told the Gazette.</p>"
    "<p>She said the aircraft had released about 250 Hellfire missiles in that time, most of them "
    "against vehicles and fighting positions near the Tigris.</p>"
    "<p>Families gathered at the gate on Friday to welcome back the first crews to finish their "
    "tour, and the mayor thanked them at a short ceremony.</p>"
)


def gazette(top: str, byline: str) -> str:
    """An old-style local paper: the site's date of the day in its top strip, the article's own date
    only in the byline's text."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Reaper crews mark two years | Wold Gazette"
        f"</title></head><body><table class='page'><tr><td>{top}"
        "<div class='links'><a href='/news'>News</a> <a href='/sport'>Sport</a></div>"
        f"<div class='story'><h1>Reaper crews mark two years</h1><p class='by'>{byline}</p>{GAZETTE_BODY}</div>"
        "<footer>&copy; 2020 Wold Gazette</footer></td></tr></table></body></html>"
    )


SITE_DATES = [
    "<header class='top-bar'><span>Tuesday, 3 March 2020</span></header>",
    "<div class='masthead'><img src='/logo.gif' alt='Wold Gazette'> <span>Tuesday, 3 March 2020</span></div>",
    "<div><span class='date-today'>Tuesday, 3 March 2020</span></div>",
    "<div id='hd'><img src='/logo.gif' alt='Wold Gazette'> <span class='date'>Tuesday, 3 March 2020</span></div>",
    "<div><img src='/logo.gif' alt='Wold Gazette'> Tuesday, 3 March 2020</div>",
    "<div><span>Tuesday, 3 March 2020</span> <a href='/'>Home</a></div>",
]
BYLINES = [
    "By Ann Lee | Published: 09:15 Thursday 17 November 2016",
    "By Ann Lee, Thursday 17 November 2016",
    "Ann Lee &middot; 17/11/2016 09:15",
]


@pytest.mark.parametrize("top", SITE_DATES)
@pytest.mark.parametrize("byline", BYLINES)
def test_the_sites_date_of_the_day_above_the_headline_is_not_the_articles(top: str, byline: str) -> None:
    assert published(gazette(top, byline)) == "2016-11-17"


def test_a_date_above_the_headline_inside_the_article_is_still_the_articles() -> None:
    html = gazette("<div><a href='/'>Home</a></div>", "By Ann Lee").replace(
        "<div class='story'><h1>", "<div class='story'><p class='kicker'>17 November 2016</p><h1>"
    )
    assert published(html) == "2016-11-17"


def test_a_labelled_publication_date_above_the_headline_is_still_read() -> None:
    html = gazette("<div><span>Published 17 November 2016</span></div>", "By Ann Lee")
    assert published(html) == "2016-11-17"


@pytest.mark.parametrize("byline", [BYLINES[0], "Posted on 17 November 2016 by Ann Lee"])
def test_a_labelled_byline_date_is_read_when_the_sites_copyright_year_hides_it(byline: str) -> None:
    # htmldate takes the copyright year as the floor of any date it reads in the text (and then answers
    # 1 January), so only the byline's own label can date this page
    html = gazette(SITE_DATES[4], byline).replace(
        "<footer>&copy; 2020 Wold Gazette</footer>", "<div class='small'>&copy; 2020 Wold Gazette</div>"
    )
    assert published(html) == "2016-11-17"


def test_a_sentence_that_mentions_a_publication_is_no_byline() -> None:
    html = (
        gazette("<div><a href='/'>Home</a></div>", "By Ann Lee")
        .replace(
            "<p>Families gathered",
            "<p>The review was published on 4 May 2015 by the ministry.</p><p>Families gathered",
        )
        .replace(
            "<footer>&copy; 2020 Wold Gazette</footer>", "<div class='small'>&copy; 2020 Wold Gazette</div>"
        )
    )
    assert published(html) is None


@pytest.mark.parametrize(
    "stamp",
    [
        "<span class='pubdate'>17 November 2016</span>",
        "<span itemprop='datePublished'>17 November 2016</span>",
        "<time pubdate datetime='2016-11-17'>17 November 2016</time>",
    ],
)
def test_a_publication_stamp_marked_up_as_such_above_the_headline_is_still_read(stamp: str) -> None:
    assert published(gazette(f"<div class='strip'>{stamp}</div>", "By Ann Lee")) == "2016-11-17"
