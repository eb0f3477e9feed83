"""Cleaning stage: decoding, metadata, main-text selection, tables and live-blog timestamps.

Every page here is written for the test; expected values come from the page text, not from
running the code.
"""

from __future__ import annotations

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.dates import date_from_url, parse_iso, parse_text_date
from conflict_ingest.clean.decode import decode_html
from conflict_ingest.clean.metadata import head_slice, read_head
from conflict_ingest.clean.page import Block, CleanedPage

BODY_PARAGRAPHS = (
    "<p>Coalition aircraft released 3,038 weapons against the Islamic State in October, the command said "
    "in its monthly summary on Tuesday.</p>"
    "<p>Officials said the figure was the highest of the year, driven by the offensive on Mosul and by "
    "strikes in support of partner forces around Raqqa.</p>"
    "<p>The command added that the pace of operations was expected to remain high through the winter, "
    "as Iraqi forces pushed into the eastern districts of the city.</p>"
)


def page(body: str, head: str = "", title: str = "Coalition strikes hit record | Example News") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )


def article(extra_body: str = "", before: str = "", after: str = "", head: str = "") -> str:
    return page(
        f"<div class='masthead'><span class='site-stamp'>Updated 11:29 AM, Tue, Jun 16, 2020</span>"
        f"<nav><ul><li><a href='/world'>World</a></li><li><a href='/us'>US</a></li></ul></nav></div>"
        f"<main><article><h1>Coalition strikes hit record</h1>{before}"
        f"<div class='article-body'>{BODY_PARAGRAPHS}{extra_body}</div>{after}</article>"
        f"<aside class='sidebar'><h3>Most read</h3><ol><li><a href='/a'>Russian jets fly 71 sorties over "
        f"Aleppo in 24 hours</a></li><li><a href='/b'>Saudi-led raids kill 14 in Sanaa</a></li></ol></aside>"
        f"</main><footer><p>&copy; 2024 Example News</p></footer>",
        head=head,
    )


# --- decoding ----------------------------------------------------------------------------------


def test_windows_1252_page_declared_in_http_equiv_decodes_curly_quotes_and_dashes() -> None:
    raw = page("<p>TAMPA \u2014 the group\u2019s \u201crunning total\u201d</p>").replace(
        "<meta charset='utf-8'>", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    )
    data = raw.encode("cp1252")
    assert b"\x97" in data  # the dash really is a single windows-1252 byte
    text = decode_html(data)
    assert "TAMPA \u2014 the group\u2019s \u201crunning total\u201d" in text


def test_latin1_label_is_decoded_as_windows_1252_like_browsers_do() -> None:
    data = b"<html><head><meta charset='iso-8859-1'></head><body><p>Al Qa\x92im</p></body></html>"
    assert "Al Qa\u2019im" in decode_html(data)


def test_charset_from_content_type_header_wins_over_guessing() -> None:
    data = "<html><body><p>caf\u00e9 \u2013 na\u00efve</p></body></html>".encode("cp1252")
    assert "caf\u00e9 \u2013 na\u00efve" in decode_html(data, "text/html; charset=windows-1252")


def test_undeclared_utf8_page_decodes_as_utf8() -> None:
    data = "<html><body><p>Yemen\u2019s Hodeidah</p></body></html>".encode()
    assert "Yemen\u2019s Hodeidah" in decode_html(data)


def test_utf8_bytes_mislabelled_as_latin1_by_the_server_still_decode_as_utf8() -> None:
    data = "<html><body><p>Yemen\u2019s Hodeidah</p></body></html>".encode()
    assert "Yemen\u2019s Hodeidah" in decode_html(data, "text/html; charset=ISO-8859-1")


def test_utf8_bom_is_honoured_and_removed() -> None:
    data = b"\xef\xbb\xbf<html><body><p>\xe2\x80\x9cquoted\xe2\x80\x9d</p></body></html>"
    text = decode_html(data)
    assert text.startswith("<html>")
    assert "\u201cquoted\u201d" in text


def test_undeclared_non_utf8_bytes_fall_back_to_windows_1252() -> None:
    assert decode_html(b"<p>5\x96 7 strikes</p>") == "<p>5\u2013 7 strikes</p>"


def test_windows_1252_page_cleans_to_correct_text() -> None:
    raw = article(
        extra_body="<p>In Syria, northwest of Al Qa\u2019im, the fifth strike left eight vehicles damaged.</p>"
    )
    data = raw.replace("charset='utf-8'", "charset='windows-1252'").encode("cp1252")
    cleaned = clean_html(data, "https://news.example/a")
    assert (
        "In Syria, northwest of Al Qa\u2019im, the fifth strike left eight vehicles damaged." in cleaned.text
    )


# --- main text ---------------------------------------------------------------------------------


def test_main_text_keeps_paragraphs_and_drops_nav_sidebar_and_footer() -> None:
    cleaned = clean_html(article(), "https://news.example/a")
    assert "Coalition aircraft released 3,038 weapons against the Islamic State in October" in cleaned.text
    assert "through the winter" in cleaned.text
    for junk in ("71 sorties", "Sanaa", "World", "2024 Example News", "Most read"):
        assert junk not in cleaned.text


def test_text_is_blocks_joined_by_blank_lines() -> None:
    cleaned = clean_html(article(), "https://news.example/a")
    assert cleaned.text == "\n\n".join(b.text for b in cleaned.blocks)
    assert len(cleaned.blocks) == 3
    assert all(b.kind == "p" for b in cleaned.blocks)


def test_reader_comments_with_numbers_are_excluded() -> None:
    comments = (
        "<section class='comments' id='comments'><h3>Reader comments (12)</h3>"
        "<div class='comment'><p>So the real total for the week is 27 plus 33 plus whatever closes "
        "tomorrow, these daily numbers are a moving target.</p></div></section>"
    )
    cleaned = clean_html(article(after=comments), "https://news.example/a")
    assert "27 plus 33" not in cleaned.text
    assert "Reader comments" not in cleaned.text
    assert "3,038 weapons" in cleaned.text


def test_headline_dek_caption_and_share_bar_are_excluded() -> None:
    before = (
        "<p class='dek'>Officials say 5,075 weapons were released in a single month of fighting.</p>"
        "<div class='share-bar'><a href='#'>Share 1.2K</a> <a href='#'>Tweet 348</a></div>"
        "<figure><img src='x.jpg'><figcaption>An F-15E departs for one of 27 missions over Iraq on "
        "Tuesday.</figcaption></figure>"
    )
    cleaned = clean_html(article(before=before), "https://news.example/a")
    assert "5,075" not in cleaned.text
    assert "27 missions" not in cleaned.text
    assert "Share 1.2K" not in cleaned.text
    assert not cleaned.text.startswith("Coalition strikes hit record")


@pytest.mark.parametrize("cls", ["lead", "summary", "article-intro", "standfirst"])
def test_a_paragraph_classed_as_a_dek_right_under_the_headline_is_not_body(cls: str) -> None:
    dek = f"<p class='{cls}'>Jets flew more than 40 sorties in two days as the offensive widened.</p>"
    html = page(
        f"<main><div class='story'><h1>Coalition strikes hit record</h1>{dek}{BODY_PARAGRAPHS}</div></main>"
    )
    cleaned = clean_html(html, "https://news.example/a")
    assert "40 sorties" not in cleaned.text
    assert "3,038 weapons" in cleaned.text


def test_a_lead_paragraph_that_is_not_under_the_headline_stays_body() -> None:
    extra = "<p class='lead'>Jets flew more than 40 sorties in two days as the offensive widened.</p>"
    html = page(
        f"<main><div class='story'><h1>Coalition strikes hit record</h1>{BODY_PARAGRAPHS}{extra}</div></main>"
    )
    cleaned = clean_html(html, "https://news.example/a")
    assert "40 sorties" in cleaned.text


def test_entities_and_nbsp_are_rendered_and_whitespace_collapsed() -> None:
    extra = "<p>Russian aircraft flew 82&nbsp;combat sorties,\n   the ministry&rsquo;s   spokesman said &amp; added more.</p>"
    cleaned = clean_html(article(extra_body=extra), "https://news.example/a")
    assert "Russian aircraft flew 82 combat sorties, the ministry\u2019s spokesman said & added more." in (
        cleaned.text
    )


def test_correction_note_in_the_body_is_kept() -> None:
    extra = (
        "<p class='correction'><em>Correction:</em> An earlier version of this article said 3,308 weapons "
        "were released in October; the figure was 3,038.</p>"
    )
    cleaned = clean_html(article(extra_body=extra), "https://news.example/a")
    assert "Correction: An earlier version of this article said 3,308 weapons" in cleaned.text


# --- tables --------------------------------------------------------------------------------------


def test_data_table_becomes_caption_block_then_one_block_per_row() -> None:
    table = (
        "<table><caption>Weapons released in Iraq and Syria</caption>"
        "<tr><th>Month</th><th>Weapons</th></tr>"
        "<tr><td>March</td><td>3,878</td></tr>"
        "<tr><td>April</td><td> 3,&#8203;471 </td></tr></table>"
    )
    cleaned = clean_html(article(extra_body=table), "https://news.example/a")
    kinds = [(b.kind, b.text) for b in cleaned.blocks if b.kind in ("caption", "table_row")]
    assert ("caption", "Weapons released in Iraq and Syria") in kinds
    assert ("table_row", "March | 3,878") in kinds
    assert ("table_row", "April | 3,471") in kinds
    captions = [i for i, b in enumerate(cleaned.blocks) if b.kind == "caption"]
    rows = [i for i, b in enumerate(cleaned.blocks) if b.kind == "table_row"]
    assert captions and rows and captions[0] < min(rows)


def test_layout_table_page_is_not_flattened_into_rows_and_keeps_only_the_story() -> None:
    story = "".join(
        f"<p><font size='2'>Paragraph {i}: U.S. attack planes carried out more airstrikes against militants "
        f"in Iraq and Syria on Tuesday, the command said in a statement from its headquarters.</font></p>"
        for i in range(5)
    )
    html = page(
        "<table width='980'><tr><td colspan='3'><span class='site-stamp'>Wednesday, June 16, 2020</span></td></tr>"
        "<tr><td width='150'><a href='/n'>Local News</a><br><a href='/w'>World</a></td>"
        f"<td width='610'><b>Jets strike again</b><br><div class='storytext'>{story}</div>"
        "<table width='100%'><tr><td><b>Reader Comments</b></td></tr>"
        "<tr><td><b>vet</b> wrote on 9/24/2014:<br>198 strikes and they still hold Mosul? Unbelievable "
        "that nobody asks about it.</td></tr></table></td>"
        "<td width='220'><table><tr><td><a href='/x'>U.S. and 5 Arab allies hit ISIL in Syria with 14 strikes"
        "</a></td></tr></table></td></tr></table>"
    )
    cleaned = clean_html(html, "https://news.example/story.asp?id=1")
    assert all(b.kind == "p" for b in cleaned.blocks)
    assert len(cleaned.blocks) == 5
    assert "198 strikes" not in cleaned.text
    assert "14 strikes" not in cleaned.text
    assert "Local News" not in cleaned.text


# --- live blogs ----------------------------------------------------------------------------------


def liveblog() -> str:
    entries = [
        ("2021-05-12T08:05:00+03:00", "More than 1,050 rockets have been launched from Gaza at Israel since "
         "Monday evening, the Israeli military says."),
        ("2021-05-12T13:40:00+03:00", "In Gaza, at least 43 people have been killed since Monday, according "
         "to the territory's Health Ministry."),
        ("2021-05-13T09:20:00+03:00", "Roughly 1,500 rockets have now been fired at Israel since the violence "
         "began, the army said on Thursday morning."),
    ]  # fmt: skip
    feed = "".join(
        f"<article class='lb-entry'><div class='lb-time'><time datetime='{ts}'>{ts[11:16]}</time></div>"
        f"<div class='lb-content'><p>{text}</p></div>"
        f"<div class='lb-share'><a href='#'>Link to this post</a></div></article>"
        for ts, text in entries
    )
    return page(
        "<div class='lb-header'><h1>Israel-Gaza escalation: live updates</h1>"
        "<p class='lb-byline'>Started <time datetime='2021-05-12T08:05:00+03:00'>12 May 2021</time> "
        "&middot; Last updated <time datetime='2021-05-21T02:40:00+03:00'>21 May 2021</time></p></div>"
        "<div class='key-events'><h2>Key events</h2><ul><li><a href='#p3'>1,500 rockets fired</a></li>"
        "<li><a href='#p2'>Gaza death toll rises to 43</a></li></ul></div>"
        f"<div class='lb-feed'>{feed}</div>",
        title="Israel-Gaza escalation: live updates | Levant Ledger",
    )


def test_live_blog_keeps_every_entry_with_its_own_timestamp() -> None:
    cleaned = clean_html(liveblog(), "https://news.example/live/2021/05/12/gaza")
    stamped = [(b.timestamp, b.text) for b in cleaned.blocks]
    assert stamped == [
        ("2021-05-12T08:05:00+03:00", "More than 1,050 rockets have been launched from Gaza at Israel since "
         "Monday evening, the Israeli military says."),
        ("2021-05-12T13:40:00+03:00", "In Gaza, at least 43 people have been killed since Monday, according "
         "to the territory's Health Ministry."),
        ("2021-05-13T09:20:00+03:00", "Roughly 1,500 rockets have now been fired at Israel since the violence "
         "began, the army said on Thursday morning."),
    ]  # fmt: skip


def test_live_blog_key_events_links_are_not_main_text() -> None:
    cleaned = clean_html(liveblog(), "https://news.example/live/2021/05/12/gaza")
    assert "Key events" not in cleaned.text
    assert "Gaza death toll rises to 43" not in cleaned.text


def test_live_blog_published_at_is_the_start_not_the_last_update() -> None:
    cleaned = clean_html(liveblog(), None)
    assert cleaned.published_at is not None
    assert cleaned.published_at[:10] == "2021-05-12"


def test_ordinary_article_blocks_carry_no_timestamp() -> None:
    byline = "<p class='byline'>By A. Writer <time datetime='2016-12-20T10:00:00Z'>Dec 20, 2016</time></p>"
    cleaned = clean_html(article(before=byline), None)
    assert cleaned.blocks
    assert all(b.timestamp is None for b in cleaned.blocks)


# --- publication date ----------------------------------------------------------------------------


def test_json_ld_date_published_beats_site_clock_and_date_modified() -> None:
    head = (
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
        '"datePublished":"2018-12-18T11:00:00+03:00","dateModified":"2019-01-02T10:00:00+03:00"}</script>'
    )
    cleaned = clean_html(article(head=head), "https://news.example/a")
    assert cleaned.published_at == "2018-12-18T11:00:00+03:00"


def test_json_ld_in_a_graph_is_found() -> None:
    head = (
        '<script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"x"},'
        '{"@type":["NewsArticle"],"datePublished":"2017-08-18"}]}</script>'
    )
    assert clean_html(article(head=head), None).published_at == "2017-08-18"


def test_article_published_time_meta_is_used_and_modified_time_is_not() -> None:
    head = (
        "<meta property='article:modified_time' content='2021-03-02T10:00:00-06:00'>"
        "<meta property='article:published_time' content='2017-08-18T15:25:00-05:00'>"
    )
    assert clean_html(article(head=head), None).published_at == "2017-08-18T15:25:00-05:00"


def test_site_clock_alone_gives_no_publication_date() -> None:
    cleaned = clean_html(article(), "https://news.example/articles/coalition-strikes.htm")
    assert cleaned.published_at is None


def test_printed_dateline_in_the_article_header_is_used_not_the_clock_or_comment_dates() -> None:
    before = "<div class='meta'><span class='author'>By Tom Reyes</span> | <span class='date'>Aug 18, 2017 3:25 PM CDT</span></div>"
    comments = "<div class='comments'><div class='comment'><span class='when'>Aug 19, 2017</span><p>ok</p></div></div>"
    cleaned = clean_html(article(before=before, after=comments), None)
    assert cleaned.published_at == "2017-08-18"


def test_updated_label_in_byline_is_skipped_for_the_posted_date() -> None:
    before = (
        "<p class='byline'>Updated <time datetime='2021-03-02T10:00:00Z'>March 2, 2021</time> "
        "&middot; Published <time datetime='2017-09-13T09:00:00Z'>Sept. 13, 2017</time></p>"
    )
    assert clean_html(article(before=before), None).published_at == "2017-09-13T09:00:00+00:00"


def test_date_in_url_is_the_fallback() -> None:
    cleaned = clean_html(article(), "https://news.example/world/2019/12/30/somalia-strikes")
    assert cleaned.published_at == "2019-12-30"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted: 9/24/2014 6:18 PM ET", "2014-09-24"),
        ("Wednesday 9 December 2015 \u2014 15:00", "2015-12-09"),
        ("Aug. 18, 2017", "2017-08-18"),
        ("24.09.2014", "2014-09-24"),
        ("20 septembrie 2020 16:20", "2020-09-20"),
        ("no date here, only 2015", None),
    ],
)
def test_printed_dates_are_parsed(text: str, expected: str | None) -> None:
    assert parse_text_date(text) == expected


def test_iso_parsing_keeps_the_publishers_offset() -> None:
    assert parse_iso("2021-05-12T08:05:00+0300") == "2021-05-12T08:05:00+03:00"
    assert parse_iso("2021-05-12T05:05:00Z") == "2021-05-12T05:05:00+00:00"
    assert parse_iso("2021-02-30") is None


@pytest.mark.parametrize(
    ("printed", "stamp"),
    [
        ("2021-05-12 4:05 PM", "2021-05-12T16:05:00"),
        ("2021-05-12 4:05 p.m.", "2021-05-12T16:05:00"),
        ("2021-05-12 4:05 am", "2021-05-12T04:05:00"),
        ("2021-05-12 12:30 AM", "2021-05-12T00:30:00"),
        ("2021-05-12 12:30 PM", "2021-05-12T12:30:00"),
        ("2021-05-12 11:59:30 PM +0200", "2021-05-12T23:59:30+02:00"),
        ("2021-05-12 16:05 PM", "2021-05-12"),  # no 12-hour time: the day only
        ("2021-05-12 4:05 Pmeeting", "2021-05-12T04:05:00"),  # a word, not the meridiem
    ],
)
def test_iso_parsing_reads_a_twelve_hour_clock(printed: str, stamp: str) -> None:
    assert parse_iso(printed) == stamp


def test_dates_in_urls() -> None:
    assert date_from_url("https://x.example/2019/02/26/us-strikes") == "2019-02-26"
    assert date_from_url("http://x.example/story.asp?id=2014092418&t=a") == "2014-09-24"
    assert date_from_url("https://x.example/a/2019/12/slug") is None
    assert date_from_url("https://x.example/news/471031-new-york") is None


# --- title and canonical URL ---------------------------------------------------------------------


def test_title_drops_the_site_suffix() -> None:
    cleaned = clean_html(article(), None)
    assert cleaned.title == "Coalition strikes hit record"


def test_title_prefers_og_title() -> None:
    head = "<meta property='og:title' content='Coalition strikes hit record level in Mosul'>"
    assert clean_html(article(head=head), None).title == "Coalition strikes hit record level in Mosul"


def test_title_with_site_name_first_keeps_the_headline() -> None:
    html = page("<p>text</p>", title="The Suncoast Ledger :: U.S. jets strike ISIL five more times")
    assert clean_html(html, None).title == "U.S. jets strike ISIL five more times"


def test_canonical_link_wins_and_relative_href_is_resolved() -> None:
    head = "<link rel='canonical' href='/diplomacy/2018/12/18/ceasefire/'><meta property='og:url' content='https://o.example/x'>"
    cleaned = clean_html(article(head=head), "https://www.example.com/amp/diplomacy/2018/12/18/ceasefire/")
    assert cleaned.canonical_url == "https://www.example.com/diplomacy/2018/12/18/ceasefire/"


def test_og_url_then_given_url_are_canonical_fallbacks() -> None:
    head = "<meta property='og:url' content='https://www.given.example/x'>"
    assert (
        clean_html(article(head=head), "https://given.example/a").canonical_url
        == "https://www.given.example/x"
    )
    assert clean_html(article(), "https://given.example/a").canonical_url == "https://given.example/a"


# --- robustness and the JSON contract ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", "", b"\x00\x00\x00", "<html>", "<<<>>>", b"\xff\xfe\x00<", "<?xml version='1.0' encoding='utf-8'?><x/>",
     "<html><body>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</body></html>"],
)  # fmt: skip
def test_malformed_or_empty_input_never_raises(raw: bytes | str) -> None:
    cleaned = clean_html(raw, "https://news.example/a")
    assert isinstance(cleaned, CleanedPage)
    assert isinstance(cleaned.text, str)


def test_empty_input_gives_an_empty_page() -> None:
    cleaned = clean_html(b"", "https://news.example/a")
    assert cleaned.text == ""
    assert cleaned.blocks == ()
    assert cleaned.published_at is None


def test_to_json_has_exactly_the_contract_keys_and_the_notes() -> None:
    cleaned = clean_html(article(), "https://news.example/a")
    assert set(cleaned.to_json()) == {
        "title",
        "published_at",
        "published_month",
        "text",
        "canonical_url",
        "notes",
        "language",
    }
    assert cleaned.to_json()["notes"] == []


def test_block_is_frozen() -> None:
    block = Block("p", "x")
    with pytest.raises(AttributeError):
        block.text = "y"  # type: ignore[misc]


def test_correction_note_in_a_boxed_aside_is_still_kept_but_comment_corrections_are_not() -> None:
    after = (
        "<aside class='correction-box'><p>Correction: An earlier version of this story misstated the number "
        "of strikes near Raqqa on Tuesday. There were four, not 14.</p></aside>"
        "<div class='comments'><div class='comment'><p>Correction: the real number of strikes was 40, "
        "I counted them myself from the releases.</p></div></div>"
    )
    cleaned = clean_html(article(after=after), "https://news.example/a")
    assert "There were four, not 14." in cleaned.text
    assert "I counted them myself" not in cleaned.text


def test_pull_quote_repeating_a_body_sentence_is_dropped_once() -> None:
    extra = (
        "<p>\u201cWe have never seen a month like this,\u201d the spokesman said of the 3,038 weapons.</p>"
        "<blockquote class='quote-box'><p>We have never seen a month like this</p></blockquote>"
    )
    cleaned = clean_html(article(extra_body=extra), None)
    assert cleaned.text.count("never seen a month like this") == 1
    assert "the spokesman said of the 3,038 weapons." in cleaned.text


def test_advertisement_labels_inside_the_body_are_dropped() -> None:
    cleaned = clean_html(article(extra_body="<p>Advertisement</p><p>Story continues below</p>"), None)
    assert "Advertisement" not in cleaned.text
    assert "Story continues below" not in cleaned.text


def test_live_blog_stamps_printed_in_spans_are_used_when_there_is_no_time_element() -> None:
    html = liveblog()
    for ts, printed in (
        ("2021-05-12T08:05:00+03:00", "12 May 2021 08:05"),
        ("2021-05-12T13:40:00+03:00", "12 May 2021 13:40"),
        ("2021-05-13T09:20:00+03:00", "13 May 2021 09:20"),
    ):
        html = html.replace(
            f"<time datetime='{ts}'>{ts[11:16]}</time>", f"<span class='entry-time'>{printed}</span>"
        )
    html = html.replace("<time datetime='2021-05-12T08:05:00+03:00'>12 May 2021</time>", "12 May 2021")
    html = html.replace("<time datetime='2021-05-21T02:40:00+03:00'>21 May 2021</time>", "21 May 2021")
    cleaned = clean_html(html, None)
    assert [b.timestamp for b in cleaned.blocks] == ["2021-05-12", "2021-05-12", "2021-05-13"]


def test_unlabelled_clock_above_the_headline_is_ignored_for_the_dateline_below_it() -> None:
    html = page(
        "<div class='topbar'><span class='date'>Tuesday, June 16, 2020</span></div>"
        "<div class='story'><h1>Coalition strikes hit record</h1>"
        "<div class='info'><span class='date'>Published Sept. 28, 2014</span></div>"
        f"<div class='text'>{BODY_PARAGRAPHS}</div></div>"
    )
    assert clean_html(html, None).published_at == "2014-09-28"


def test_unlabelled_clock_alone_gives_no_date() -> None:
    html = page(
        "<div class='topbar'><span class='date'>Tuesday, June 16, 2020</span></div>"
        f"<div class='story'><h1>Coalition strikes hit record</h1><div class='text'>{BODY_PARAGRAPHS}</div></div>"
    )
    assert clean_html(html, "https://news.example/story/coalition-strikes").published_at is None


# --- BeautifulSoup: charset declarations and the head's metadata --------------------------------


def test_xml_declaration_encoding_is_honoured() -> None:
    data = "<?xml version='1.0' encoding='windows-1252'?><html><body><p>Qa\u2019im \u2013 5</p></body></html>"
    assert "Qa\u2019im \u2013 5" in decode_html(data.encode("cp1252"))


def test_utf16_byte_order_mark_wins_over_a_wrong_meta_charset() -> None:
    data = "\ufeff<html><head><meta charset='utf-8'></head><body><p>Sana\u2019a</p></body></html>"
    assert "Sana\u2019a" in decode_html(data.encode("utf-16-le"))


def test_head_metadata_is_read_from_the_head_only() -> None:
    html = page(
        '<p>A reader\'s post: <script type=\'application/ld+json\'>{"datePublished": "1999-01-01"}</script></p>',
        head=(
            "<meta property='og:title' content='Strikes resume'>"
            "<meta name='publish-date' content=' 2020-06-16 '>"
            "<meta name='publish-date' content='2001-01-01'>"
            "<link rel='alternate canonical' href='https://example.test/a'>"
            '<script type=\'application/ld+json\'>{"@type": "NewsArticle", "datePublished": "2020-06-16"}</script>'
        ),
        title="Strikes resume &amp; continue | Example",
    )
    assert 'datePublished": "1999' not in head_slice(html)
    head = read_head(html)
    assert head.title == "Strikes resume & continue | Example"
    assert head.meta["og:title"] == "Strikes resume"
    assert head.meta["publish-date"] == "2020-06-16"  # first wins, trimmed
    assert head.canonical == "https://example.test/a"
    assert len(head.jsonld) == 1 and "2020-06-16" in head.jsonld[0]


def test_json_ld_in_the_body_still_dates_the_page() -> None:
    ld = '<script type=\'application/ld+json\'>{"@type": "NewsArticle", "datePublished": "2019-11-05T10:00:00Z"}</script>'
    assert (clean_html(article(extra_body=ld), None).published_at or "").startswith("2019-11-05")


def test_page_without_a_head_end_still_gives_its_title() -> None:
    html = "<title>Raids go on - Example</title><h1>Raids go on</h1>" + BODY_PARAGRAPHS
    assert clean_html(html, None).title == "Raids go on"


# --- live-blog entries stamped with a time only, under a day heading -----------------------------


def day_headed_liveblog(heading_tag: str = "h3", stamp: str = "time", top: str = "") -> str:
    """A flood-relief-style live page (written for this test) whose entries print only a clock time and
    sit under headings naming their day; the page was published on the first day."""
    days = [
        ("Tuesday 7 March", [("18:20", "Drones struck the river port twice this evening, officials said.")]),
        ("Wednesday 8 March", [
            ("06:45", "Overnight, the army says it fired 14 drones at positions along the ridge."),
            ("14:05", "The regional governor says three people were killed in the afternoon raid."),
        ]),
        ("9 March 2023", [("09:30", "Crews cleared rubble from the market after the night's attack.")]),
    ]  # fmt: skip

    def clock(t: str) -> str:
        return f"<time>{t}</time>" if stamp == "time" else f"<span class='entry-time'>{t}</span>"

    feed = "".join(
        f"<{heading_tag} class='day-divider'>{day}</{heading_tag}>"
        + "".join(f"<div class='post'>{clock(t)}<p>{text}</p></div>" for t, text in posts)
        for day, posts in days
    )
    return page(
        f"{top}<h1>Ridge offensive: live</h1><div class='feed'>{feed}</div>",
        head="<meta property='article:published_time' content='2023-03-07T17:50:00Z'>",
        title="Ridge offensive: live | Valley Courier",
    )


@pytest.mark.parametrize(("heading_tag", "stamp"), [("h3", "time"), ("div", "time"), ("p", "span")])
def test_entries_stamped_with_a_time_only_take_the_day_of_the_heading_above_them(
    heading_tag: str, stamp: str
) -> None:
    cleaned = clean_html(day_headed_liveblog(heading_tag, stamp), None)
    stamps = {b.text[:20]: b.timestamp for b in cleaned.blocks if b.kind == "p"}
    assert stamps["Drones struck the ri"] == "2023-03-07T18:20:00"
    assert stamps["Overnight, the army "] == "2023-03-08T06:45:00"
    assert stamps["The regional governo"] == "2023-03-08T14:05:00"
    assert stamps["Crews cleared rubble"] == "2023-03-09T09:30:00"


@pytest.mark.parametrize(
    "top",
    [
        "<div class='top-bar'><span>Saturday, 14 December 2019</span></div>",
        "<div><span>Saturday, 14 December 2019</span></div>",
        "<div><span>Sunday, 12 March 2023</span></div>",
    ],
)
def test_a_masthead_date_is_not_a_day_heading_for_the_entries_below_it(top: str) -> None:
    html = day_headed_liveblog(top=top)
    for day in ("Tuesday 7 March", "Wednesday 8 March", "9 March 2023"):
        html = html.replace(f"<h3 class='day-divider'>{day}</h3>", "")
    cleaned = clean_html(html, None)
    assert not any((b.timestamp or "").startswith(("2019", "2023-03-12")) for b in cleaned.blocks)


def test_a_day_heading_without_a_year_takes_the_year_nearest_the_publication() -> None:
    html = day_headed_liveblog().replace("2023-03-07T17:50:00Z", "2022-12-31T20:00:00Z")
    html = html.replace("Tuesday 7 March", "Saturday 31 December").replace("Wednesday 8 March", "1 January")
    html = html.replace("9 March 2023", "Monday, January 2")
    stamps = [b.timestamp for b in clean_html(html, None).blocks if b.kind == "p" and b.timestamp]
    assert [s[:10] for s in stamps] == ["2022-12-31", "2023-01-01", "2023-01-01", "2023-01-02"]
