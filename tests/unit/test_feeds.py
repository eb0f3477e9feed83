"""Feeds read by feedparser: every RSS and Atom version, odd dates, broken and hostile documents.

Feeds are served by a real HTTP server on 127.0.0.1 and fetched by the project's own fetcher, the
way discovery reads them at night.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import feedparser
import pytest
from tests.helpers import serve_http

from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.sources.feeds import parse_feed
from conflict_ingest.sources.registry import Discovered, DiscoveryError, Source, discover

D = dt.date
DEC1 = (D(2016, 12, 1), D(2016, 12, 2))
WIDE = (D(2000, 1, 1), D(2100, 1, 1))


class FeedSite:
    """Fixed replies by path (body, content type; a redirect as ``("->", target)``), with a log of hits."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes | str, str]] = {}
        self.hits: list[str] = []
        self.base = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                body, ctype = site.pages.get(self.path, (b"not found", "text/plain"))
                if body == "->":
                    self.send_response(301)
                    self.send_header("Location", ctype)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                assert isinstance(body, bytes)
                self.send_response(200 if self.path in site.pages else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                return

        return Handler


@pytest.fixture
def site() -> Iterator[FeedSite]:
    s = FeedSite()
    with serve_http(s.handler()) as s.base:
        yield s


def fetcher() -> Fetcher:
    return Fetcher(rate_limit_per_s=None, retries=0, timeout_s=5)


def source(site: FeedSite, path: str, kind: str = "rss") -> Source:
    return Source(id="f", kind=kind, url=site.base + path, allow_private=True, rate_limit_per_s=None)


def serve(site: FeedSite, path: str, body: bytes, ctype: str = "application/rss+xml") -> Source:
    site.pages[path] = (body, ctype)
    return source(site, path)


def found(site: FeedSite, src: Source, window: tuple[dt.date, dt.date] = DEC1) -> list[tuple[str, object]]:
    return [(d.url.removeprefix(site.base), d.published) for d in discover(src, *window, fetcher())]


# --- each format ---------------------------------------------------------------------------------------

RSS_091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Wire</title><link>http://n.example/</link>
<description>d</description><language>en-us</language>
<item><title>Strikes on the 1st</title><link>/091/a.html</link><description>x</description>
<pubDate>Thu, 01 Dec 2016 09:00:00 GMT</pubDate></item>
<item><title>Strikes on the 2nd</title><link>/091/b.html</link><description>x</description>
<pubDate>Fri, 02 Dec 2016 09:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_rss_091_with_netscape_doctype_is_read_and_its_dtd_never_fetched(site: FeedSite) -> None:
    src = serve(site, "/091.xml", RSS_091)
    assert found(site, src) == [("/091/a.html", dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC))]
    assert site.hits == ["/robots.txt", "/091.xml"]  # the DTD's URL is not asked for, nor anything else


RSS_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://n.example/rdf"><title>RDF wire</title><link>http://n.example/</link>
    <description>d</description>
    <items><rdf:Seq><rdf:li rdf:resource="http://n.example/rdf/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="http://n.example/rdf/1"><title>One</title><link>http://n.example/rdf/1</link>
    <dc:date>2016-12-01T21:30:00-05:00</dc:date></item>
  <item rdf:about="http://n.example/rdf/2"><title>About only</title>
    <dc:date>2016-12-01T08:00:00Z</dc:date></item>
  <item rdf:about="http://n.example/rdf/3"><title>Next day</title><link>http://n.example/rdf/3</link>
    <dc:date>2016-12-02</dc:date></item>
</rdf:RDF>"""


def test_rss_10_rdf_items_are_dated_by_dc_date_and_found_by_link_or_rdf_about(site: FeedSite) -> None:
    src = serve(site, "/rdf.xml", RSS_10, "application/rdf+xml")
    # 21:30 at -05:00 on the 1st is 02:30 UTC on the 2nd; the date keeps the feed's own offset.
    assert found(site, src) == [("http://n.example/rdf/2", dt.datetime(2016, 12, 1, 8, tzinfo=dt.UTC))]
    second = found(site, src, (D(2016, 12, 2), D(2016, 12, 3)))
    assert second == [
        (
            "http://n.example/rdf/1",
            dt.datetime(2016, 12, 1, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
        ("http://n.example/rdf/3", D(2016, 12, 2)),
    ]


RSS_20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>http://elsewhere.example/</link><description>d</description>
  <item><title>Relative</title><link>story-1.html</link><pubDate>Thu, 01 Dec 2016 10:00:00 +0000</pubDate></item>
  <item><title>Root-relative</title><link>/other/story-2.html</link><pubDate>Thu, 01 Dec 2016 11:00:00 +0000</pubDate></item>
  <item><title>Permalink guid</title><guid>https://n.example/3</guid><pubDate>Thu, 01 Dec 2016 12:00:00 +0000</pubDate></item>
  <item><title>Opaque guid, no link</title><guid isPermaLink="false">tag:n.example,2016:4</guid>
        <pubDate>Thu, 01 Dec 2016 13:00:00 +0000</pubDate></item>
  <item><title>No link at all</title><pubDate>Thu, 01 Dec 2016 14:00:00 +0000</pubDate></item>
  <item><title>mailto</title><link>mailto:desk@n.example</link><pubDate>Thu, 01 Dec 2016 15:00:00 +0000</pubDate></item>
</channel></rss>"""


def test_rss_20_links_resolve_against_the_feeds_final_url_and_linkless_entries_are_skipped(
    site: FeedSite,
) -> None:
    site.pages["/old-feed"] = ("->", "/news/feed.xml")  # type: ignore[assignment]
    serve(site, "/news/feed.xml", RSS_20)
    urls = [u for u, _ in found(site, source(site, "/old-feed"))]
    assert urls == [
        "/news/story-1.html",
        "/other/story-2.html",
        "https://n.example/3",
    ]


ATOM_03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Atom 0.3 wire</title><link rel="alternate" type="text/html" href="http://n.example/"/>
  <modified>2016-12-02T10:00:00Z</modified>
  <entry><title>Issued on the 1st</title>
    <link rel="alternate" type="text/html" href="http://n.example/a03/1"/>
    <id>tag:n.example,2016:1</id><issued>2016-12-01T10:00:00+02:00</issued><modified>2016-12-03T10:00:00Z</modified></entry>
  <entry><title>Modified only</title>
    <link rel="alternate" type="text/html" href="http://n.example/a03/2"/>
    <id>tag:n.example,2016:2</id><modified>2016-12-01T23:00:00Z</modified></entry>
</feed>"""


def test_atom_03_is_dated_by_issued_then_modified(site: FeedSite) -> None:
    src = serve(site, "/a03.xml", ATOM_03, "application/atom+xml")
    assert found(site, src) == [
        ("http://n.example/a03/1", dt.datetime(2016, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        ("http://n.example/a03/2", dt.datetime(2016, 12, 1, 23, tzinfo=dt.UTC)),
    ]


ATOM_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://n.example/atom/">
  <title>Atom 1.0 wire</title><id>urn:x</id><updated>2016-12-02T00:00:00Z</updated>
  <entry><title>Strikes near Mosul</title><id>urn:1</id>
    <link rel="alternate" type="text/html" href="one.html"/>
    <link rel="enclosure" type="image/jpeg" href="one.jpg"/>
    <published>2016-12-01T09:00:00Z</published><updated>2016-12-04T09:00:00Z</updated></entry>
  <entry><title>Only a PDF alternate</title><id>urn:2</id>
    <link rel="alternate" type="application/pdf" href="two.pdf"/><updated>2016-12-01T10:00:00Z</updated></entry>
  <entry><title>No link</title><id>http://n.example/atom/three.html</id><updated>2016-12-01T11:00:00Z</updated></entry>
</feed>"""


def test_atom_10_uses_the_html_alternate_and_xml_base(site: FeedSite) -> None:
    src = serve(site, "/a10.xml", ATOM_10, "application/atom+xml")
    (one, two) = discover(src, *DEC1, fetcher())
    assert one == Discovered(
        "http://n.example/atom/one.html", dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC), "Strikes near Mosul"
    )
    assert two.url == "http://n.example/atom/two.pdf"  # no HTML alternate: the link it has
    # the third entry has no link: its id, a URL, is not taken for one


# --- dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "day", "expected"),
    [
        # RFC 822 with named zones: 22:30 EST is 03:30 UTC on the 2nd, 22:30 PDT is 05:30 UTC.
        ("Thu, 01 Dec 2016 22:30:00 EST", D(2016, 12, 2), dt.datetime(2016, 12, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
        ("Thu, 01 Dec 2016 22:30:00 PDT", D(2016, 12, 2), dt.datetime(2016, 12, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7)))),
        ("Thu, 01 Dec 2016 22:30 GMT", D(2016, 12, 1), dt.datetime(2016, 12, 1, 22, 30, tzinfo=dt.UTC)),
        ("1 Dec 2016 22:30:00 UT", D(2016, 12, 1), dt.datetime(2016, 12, 1, 22, 30, tzinfo=dt.UTC)),
        ("Thursday, 01-Dec-16 22:30:00 EST", D(2016, 12, 2), dt.datetime(2016, 12, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
        # ISO without a zone is UTC; "2016-12-01 10:00" (a space, no seconds) too; a bare day stays a day.
        ("2016-12-01T23:30:00", D(2016, 12, 1), dt.datetime(2016, 12, 1, 23, 30)),
        ("2016-12-01 10:00", D(2016, 12, 1), dt.datetime(2016, 12, 1, 10, 0)),
        ("2016-12-01", D(2016, 12, 1), D(2016, 12, 1)),
        ("2016-12-01T10:00:00.5+03:00", D(2016, 12, 1), dt.datetime(2016, 12, 1, 10, 0, 0, 500000, tzinfo=dt.timezone(dt.timedelta(hours=3)))),
    ],
)  # fmt: skip
def test_odd_feed_dates_land_on_their_utc_day(written: str, day: dt.date, expected: object) -> None:
    body = (
        f'<rss version="2.0"><channel><item><title>x</title><link>https://n.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed(body, "https://n.example/feed", "test")
    assert entry.published == expected
    assert type(entry.published) is type(expected)
    from conflict_ingest.sources.registry import day_of

    assert entry.published is not None and day_of(entry.published) == day


def test_feedparser_and_our_reading_of_a_date_settle_on_the_better_one() -> None:
    written = [
        "Πεμ, 01 Δεκ 2016 16:05:00 EET",  # Greek: only feedparser reads it
        "2016/12/01 16:05:00 +0100",  # feedparser's lenient reading drops the time: the offset wins
        "1 December 2016 at 16:05",  # only ours reads it
        "sometime soon",  # nobody does: the entry is undated
    ]
    items = "".join(
        f"<item><title>{i}</title><link>https://n.example/{i}</link><pubDate>{w}</pubDate></item>"
        for i, w in enumerate(written)
    )
    body = f'<rss version="2.0"><channel>{items}</channel></rss>'.encode()
    assert [e.published for e in parse_feed(body, "https://n.example/feed", "test")] == [
        dt.datetime(2016, 12, 1, 16, 5, tzinfo=dt.UTC),
        dt.datetime(2016, 12, 1, 16, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2016, 12, 1, 16, 5),
        None,
    ]


# --- broken and hostile feeds ----------------------------------------------------------------------------


def test_malformed_feed_is_a_clear_error_and_the_other_sources_go_on(site: FeedSite) -> None:
    broken = serve(site, "/broken.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x')
    good = serve(site, "/091.xml", RSS_091)
    outcomes: dict[str, object] = {}
    for src in (broken, good):
        try:
            outcomes[src.url or ""] = [d.url for d in discover(src, *DEC1, fetcher())]
        except DiscoveryError as exc:
            outcomes[src.url or ""] = str(exc)
    assert re.fullmatch(
        rf"source 'f': {re.escape(broken.url or '')}: not well-formed XML \(.*no element found\)",
        str(outcomes[broken.url or ""]),
    )
    assert outcomes[good.url or ""] == [site.base + "/091/a.html"]


def test_feed_with_entries_and_a_broken_tail_keeps_the_entries_read(site: FeedSite) -> None:
    body = RSS_20.replace(b"</channel></rss>", b"<item><title>cut")
    assert len(parse_feed(body, "https://n.example/feed", "test")) == 3  # the three http(s) links


def billion_laughs_feed(*, one_line: bool) -> bytes:
    sep = "" if one_line else "\n"
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [{sep}{sep.join(levels)}{sep}]>\n'
        '<rss version="2.0"><channel><item><title>&lol9;</title><link>https://n.example/a</link>'
        "<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("one_line", [True, False])
def test_billion_laughs_feed_is_refused_fast_and_feedparser_alone_would_not_expand_it(
    site: FeedSite, one_line: bool
) -> None:
    bomb = billion_laughs_feed(one_line=one_line)
    src = serve(site, "/bomb.xml", bomb)
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=r"refused XML \(declares entity 'lol0'"):
        discover(src, *DEC1, fetcher())
    # Behind the guard, feedparser's own defence holds as well: the entities are dropped, not expanded.
    parsed = feedparser.parse(io.BytesIO(bomb))
    assert time.monotonic() - started < 1.0
    assert all(len(e.get("title", "")) < 100 for e in parsed.entries)


def test_external_entity_is_refused_and_feedparser_alone_would_not_read_the_file(site: FeedSite) -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
        b'<rss version="2.0"><channel><item><title>&xxe;</title><link>https://n.example/a</link>'
        b"<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    with pytest.raises(DiscoveryError, match="refused XML"):
        discover(serve(site, "/xxe.xml", xxe), *DEC1, fetcher())
    parsed = feedparser.parse(io.BytesIO(xxe))
    assert not any("root:" in e.get("title", "") for e in parsed.entries)


def test_a_body_that_names_a_local_file_is_not_read_as_that_file(tmp_path: object) -> None:
    """feedparser given bytes tries them as a file name first; we hand it a file object."""
    from pathlib import Path

    local = Path(str(tmp_path)) / "feed.xml"
    local.write_bytes(RSS_091)
    with pytest.raises(DiscoveryError, match="not well-formed XML"):  # read as the text it is
        parse_feed(str(local).encode(), "https://n.example/feed", "test")
    assert len(feedparser.parse(str(local).encode()).entries) == 2  # what bytes alone would have done


def test_feed_in_an_encoding_expat_cannot_read_is_still_checked_and_read() -> None:
    feed = (
        '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><item><title>\u7a7a\u88ad</title>'
        "<link>https://n.example/zh</link><pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    ).encode("gb2312")
    (entry,) = parse_feed(feed, "https://n.example/feed", "test")
    assert entry.title == "\u7a7a\u88ad"
    from conflict_ingest.sources.base import xml_root

    with pytest.raises(DiscoveryError, match="refused XML"):
        xml_root(feed.replace(b"?><rss", b'?><!DOCTYPE rss [<!ENTITY a "b">]><rss'), "test")


def test_blank_lines_before_the_xml_declaration_are_tolerated_as_before(site: FeedSite) -> None:
    src = serve(site, "/blank.xml", b"\n\n  " + RSS_091)
    assert found(site, src) == [("/091/a.html", dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC))]


def test_a_feed_source_that_serves_a_sitemap_is_read_as_one(site: FeedSite) -> None:
    urlset = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>/s/1.html</loc><lastmod>2016-12-01</lastmod></url></urlset>"
    )
    src = serve(site, "/declared-feed.xml", urlset, "application/xml")
    assert found(site, src) == [("/s/1.html", D(2016, 12, 1))]
