"""Sitemaps over a real HTTP server on 127.0.0.1, through the project's fetcher: gzipped (by content
and by name), plain text, Google News, robots.txt and site roots, bounded walks, broken and hostile
documents."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest
from tests.helpers import serve_http

from conflict_ingest.fetch.client import PAGES, SITEMAPS, Fetcher
from conflict_ingest.sources import sitemaps
from conflict_ingest.sources.registry import DiscoveryError, Source, discover

D = dt.date
DEC1 = (D(2016, 12, 1), D(2016, 12, 2))
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


@dataclass
class Page:
    body: bytes
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class MapSite:
    """Fixed replies by path, and the paths asked for (robots.txt checks by the fetcher included)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: list[str] = []
        self.base = ""

    def add(self, path: str, body: bytes | str, content_type: str = "application/xml", **headers: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = Page(
            data, content_type, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        return self.base + path

    def asked(self, path: str) -> int:
        return self.hits.count(path)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                page = site.pages.get(self.path, Page(b"not found", "text/plain", 404))
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                return

        return Handler


@pytest.fixture
def site() -> Iterator[MapSite]:
    s = MapSite()
    with serve_http(s.handler()) as s.base:
        yield s


def fetcher() -> Fetcher:
    return Fetcher(rate_limit_per_s=None, retries=0, timeout_s=5)


def source(url: str, **kw: object) -> Source:
    options: dict[str, object] = {"allow_private": True, "rate_limit_per_s": None, **kw}
    return Source(id="m", kind="sitemap", url=url, **options)  # type: ignore[arg-type]


def urlset(*pages: tuple[str, str | None]) -> str:
    rows = "".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>" for loc, mod in pages
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{rows}</urlset>'


def index(*children: tuple[str, str | None]) -> str:
    rows = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</sitemap>"
        for loc, mod in children
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {NS}>{rows}</sitemapindex>'


def paths(site: MapSite, found: list[object]) -> list[str]:
    return [getattr(d, "url").removeprefix(site.base) for d in found]


# --- gzip ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "encoding"),
    [
        ("/sitemap-dec.xml.gz", "application/x-gzip", None),  # Apache's AddType for .gz
        ("/sitemap-dec.xml.gz", "application/gzip", None),  # Python's http.server
        ("/sitemap-dec.xml.gz", "application/octet-stream", None),  # nginx's default type
        ("/sitemap-dec.xml", "application/xml", None),  # gzip by content alone, under an XML name and type
        ("/sitemap-dec.xml.gz", "application/xml", "gzip"),  # decoded by the fetcher: a .gz name, plain XML
    ],
)
def test_gzipped_sitemap_is_read_by_content_whatever_its_name_and_type(
    site: MapSite, path: str, content_type: str, encoding: str | None
) -> None:
    body = gzip.compress(urlset(("/a/dec1.html", "2016-12-01"), ("/a/dec2.html", "2016-12-02")).encode())
    headers = {"Content_Encoding": encoding} if encoding else {}
    site.add("/sitemap.xml", index((path, "2016-12-02")))
    site.add(path, body, content_type, **headers)
    assert paths(site, discover(source(site.base + "/sitemap.xml"), *DEC1, fetcher())) == ["/a/dec1.html"]


def test_gzip_bomb_is_cut_at_max_bytes(site: MapSite) -> None:
    bomb = gzip.compress(b"<urlset " + NS.encode() + b">" + b" " * 50_000_000 + b"</urlset>", 9)
    assert len(bomb) < 100_000
    url = site.add("/huge.xml.gz", bomb, "application/gzip")
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=r"huge.xml.gz: gzipped sitemap exceeds max_bytes 1000000"):
        discover(source(url, max_bytes=1_000_000), *DEC1, fetcher())
    assert time.monotonic() - started < 2.0


def test_truncated_gzip_is_a_clear_error(site: MapSite) -> None:
    url = site.add(
        "/cut.xml.gz", gzip.compress(urlset(("/a/x.html", "2016-12-01")).encode())[:-12], "application/gzip"
    )
    with pytest.raises(DiscoveryError, match=r"cut.xml.gz: truncated gzip data"):
        discover(source(url), *DEC1, fetcher())


def test_the_fetcher_hands_over_text_and_gzip_only_when_asked(site: MapSite) -> None:
    text = site.add("/urls.txt", "http://n.example/a\n", "text/plain")
    gz_body = gzip.compress(b"<urlset/>")
    gz = site.add("/s.xml.gz", gz_body, "application/gzip")
    f = fetcher()
    for url in (text, gz):
        assert (f.fetch(url, allow_private=True).error or "").startswith("refused:")
        assert (f.fetch(url, allow_private=True, accept=PAGES).error or "").startswith("refused:")
        assert f.fetch(url, allow_private=True, accept=SITEMAPS).ok()
    assert f.fetch(gz, allow_private=True, accept=SITEMAPS).body == gz_body  # handed over undecoded
    pdf = site.add("/s.pdf", b"%PDF-1.4 binary", "application/octet-stream")
    refused = f.fetch(pdf, allow_private=True, accept=SITEMAPS)
    assert "refused: body is a PDF document" in (refused.error or "")  # only gzip bodies are let through


# --- plain text ---------------------------------------------------------------------------------------


def test_plain_text_sitemap_urls_are_read_and_having_no_date_are_never_in_a_window(
    site: MapSite, caplog: pytest.LogCaptureFixture
) -> None:
    text = "\ufeffhttp://n.example/a.html\n\n  https://n.example/b.html  \nnot a url\nftp://n.example/c\n/relative\n"
    url = site.add("/sitemap.txt", text.encode("utf-8"), "text/plain; charset=utf-8")
    pages = sitemaps.discover(source(url), *DEC1, fetcher())
    assert [(p.url, p.published) for p in pages] == [
        ("http://n.example/a.html", None),
        ("https://n.example/b.html", None),
    ]
    with caplog.at_level(logging.WARNING, logger="conflict_ingest.sources.registry"):
        assert discover(source(url), *DEC1, fetcher()) == []
    assert "2 entries without a date were skipped" in caplog.text


def test_text_without_a_url_is_neither_a_feed_nor_a_sitemap(site: MapSite) -> None:
    url = site.add("/notes.txt", "nothing to see\n", "text/plain")
    with pytest.raises(
        DiscoveryError, match=r"notes.txt is neither a feed nor a sitemap \(text without a URL\)"
    ):
        discover(source(url), *DEC1, fetcher())


# --- Google News ------------------------------------------------------------------------------------------


def test_news_sitemap_is_dated_by_publication_date_and_titled(site: MapSite) -> None:
    news = (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS} {NEWS_NS}>'
        "<url><loc>https://n.example/n1</loc><lastmod>2016-12-05</lastmod><news:news>"
        "<news:publication><news:name>Wire</news:name><news:language>en</news:language></news:publication>"
        "<news:publication_date>2016-12-01T22:30:00-05:00</news:publication_date>"
        "<news:title>Strikes near Raqqa</news:title></news:news></url>"
        "<url><loc>https://n.example/n2</loc><news:news>"
        "<news:publication_date>2016-12-01T09:00:00Z</news:publication_date>"
        "<news:title>Raids &amp; shelling</news:title></news:news></url>"
        "</urlset>"
    )
    url = site.add("/news-sitemap.xml.gz", gzip.compress(news.encode()), "application/x-gzip")
    (n2,) = discover(source(url), *DEC1, fetcher())
    assert (n2.url, n2.title, n2.published) == (
        "https://n.example/n2",
        "Raids & shelling",
        dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC),
    )
    (n1,) = discover(source(url), D(2016, 12, 2), D(2016, 12, 3), fetcher())  # 03:30 UTC on the 2nd
    assert n1.url == "https://n.example/n1" and n1.title == "Strikes near Raqqa"


# --- robots.txt and site roots ------------------------------------------------------------------------------


def robots(*lines: str) -> str:
    return "User-agent: *\nDisallow: /search\n" + "".join(f"{line}\n" for line in lines)


def test_robots_txt_source_reads_the_sitemaps_it_names(site: MapSite) -> None:
    site.add(
        "/robots.txt",
        robots(
            f"Sitemap: {site.base}/sitemap-news.xml",
            "sitemap: /sitemap-pages.xml.gz",  # relative and lower-case: read all the same
            f"Sitemap: {site.base}/sitemap-news.xml",  # twice: read once
            "Sitemap: ftp://n.example/nope.xml",
        ),
        "text/plain",
    )
    site.add("/sitemap-news.xml", urlset(("/n/1.html", "2016-12-01")))
    site.add(
        "/sitemap-pages.xml.gz",
        gzip.compress(urlset(("/p/1.html", "2016-12-01")).encode()),
        "application/gzip",
    )
    found = discover(source(site.base + "/robots.txt"), *DEC1, fetcher())
    assert paths(site, found) == ["/n/1.html", "/p/1.html"]
    assert site.asked("/sitemap-news.xml") == 1


def test_site_root_source_reads_its_robots_txt(site: MapSite) -> None:
    site.add("/robots.txt", robots(f"Sitemap: {site.base}/maps/index.xml"), "text/plain")
    site.add("/maps/index.xml", index(("/maps/dec.xml", "2016-12-02"), ("/maps/oct.xml", "2016-10-31")))
    site.add("/maps/dec.xml", urlset(("/a/1.html", "2016-12-01"), ("/a/2.html", "2016-12-02")))
    site.add("/maps/oct.xml", urlset(("/a/0.html", "2016-12-01")))
    assert paths(site, discover(source(site.base + "/"), *DEC1, fetcher())) == ["/a/1.html"]
    assert site.asked("/maps/oct.xml") == 0  # last modified before the window: not fetched
    assert site.asked("/sitemap.xml") == 0


@pytest.mark.parametrize("robots_txt", [robots(), None])
def test_site_root_without_a_listed_sitemap_falls_back_to_sitemap_xml(
    site: MapSite, robots_txt: str | None
) -> None:
    if robots_txt is not None:
        site.add("/robots.txt", robots_txt, "text/plain")
    site.add("/sitemap.xml", urlset(("/a/1.html", "2016-12-01")))
    assert paths(site, discover(source(site.base), *DEC1, fetcher())) == ["/a/1.html"]


def test_robots_txt_source_that_names_no_sitemap_is_a_clear_error(site: MapSite) -> None:
    site.add("/robots.txt", robots(), "text/plain")
    with pytest.raises(
        DiscoveryError, match=r"source 'm': http://127\.0\.0\.1:\d+/robots\.txt names no sitemap"
    ):
        discover(source(site.base + "/robots.txt"), *DEC1, fetcher())


def test_every_request_goes_through_the_fetchers_address_check(site: MapSite) -> None:
    site.add("/robots.txt", robots(f"Sitemap: {site.base}/sitemap.xml"), "text/plain")
    with pytest.raises(DiscoveryError, match=r"/robots\.txt: refused: 127\.0\.0\.1 is a loopback address"):
        discover(source(site.base + "/robots.txt", allow_private=False), *DEC1, fetcher())
    with pytest.raises(DiscoveryError, match=r"/sitemap\.xml: refused: 127\.0\.0\.1 is a loopback address"):
        discover(source(site.base + "/", allow_private=False), *DEC1, fetcher())  # robots.txt, then this
    assert site.hits == []


def test_robots_txt_walk_counts_against_max_sitemaps(site: MapSite) -> None:
    names = [f"Sitemap: {site.base}/s{i}.xml" for i in range(6)]
    site.add("/robots.txt", robots(*names), "text/plain")
    for i in range(6):
        site.add(f"/s{i}.xml", urlset((f"/a/{i}.html", "2016-12-01")))
    found = discover(source(site.base + "/robots.txt", max_sitemaps=3), *DEC1, fetcher())
    assert paths(site, found) == ["/a/0.html", "/a/1.html"]  # robots.txt itself is one of the three


# --- bounds, broken and hostile sitemaps -----------------------------------------------------------------


def test_index_index_urlset_is_read_and_deeper_nesting_is_cut(
    site: MapSite, caplog: pytest.LogCaptureFixture
) -> None:
    site.add("/i0.xml", index(("/i1.xml", None)))
    site.add("/i1.xml", index(("/u.xml", None), ("/i2.xml", None)))
    site.add("/u.xml", urlset(("/a/two-deep.html", "2016-12-01")))
    for depth in range(2, 8):
        site.add(f"/i{depth}.xml", index((f"/i{depth + 1}.xml", None), (f"/u{depth}.xml", None)))
        site.add(f"/u{depth}.xml", urlset((f"/a/u{depth}.html", "2016-12-01")))
    with caplog.at_level(logging.WARNING, logger="conflict_ingest.sources.sitemaps"):
        found = discover(source(site.base + "/i0.xml"), *DEC1, fetcher())
    assert sitemaps.MAX_SITEMAP_DEPTH == 3
    assert paths(site, found) == ["/a/two-deep.html", "/a/u2.html"]  # u2 is 3 deep; i3's children are 4
    assert site.asked("/i3.xml") == 1 and site.asked("/i4.xml") == 0 and site.asked("/u3.xml") == 0
    assert "nested deeper than 3" in caplog.text


def test_malformed_sitemap_is_a_clear_error_and_the_other_sources_go_on(site: MapSite) -> None:
    bad = site.add("/bad.xml", f"<urlset {NS}><url><loc>/a/1.html</loc><lastmod>2016-12-01</lastm")
    good = site.add("/good.xml", urlset(("/a/2.html", "2016-12-01")))
    outcomes: list[object] = []
    for url in (bad, good):
        try:
            outcomes.append(paths(site, discover(source(url), *DEC1, fetcher())))
        except DiscoveryError as exc:
            outcomes.append(str(exc))
    assert str(outcomes[0]).startswith(f"source 'm': {bad}: not well-formed XML (")
    assert outcomes[1] == ["/a/2.html"]


def test_a_broken_child_sitemap_fails_its_source_with_the_childs_url(site: MapSite) -> None:
    site.add("/index.xml", index(("/ok.xml", None), ("/gone.xml", None)))
    site.add("/ok.xml", urlset(("/a/1.html", "2016-12-01")))
    with pytest.raises(DiscoveryError, match=r"cannot fetch http://127\.0\.0\.1:\d+/gone\.xml: HTTP 404"):
        discover(source(site.base + "/index.xml"), *DEC1, fetcher())


def billion_laughs_sitemap() -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset [\n{chr(10).join(levels)}\n]>\n<urlset {NS}>'
        "<url><loc>https://n.example/&lol9;</loc><lastmod>2016-12-01</lastmod></url></urlset>"
    ).encode()


@pytest.mark.parametrize("gzipped", [False, True])
def test_billion_laughs_sitemap_is_refused_fast(site: MapSite, gzipped: bool) -> None:
    bomb = billion_laughs_sitemap()
    url = site.add("/bomb.xml.gz" if gzipped else "/bomb.xml", gzip.compress(bomb) if gzipped else bomb)
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=r"refused XML \(declares entity 'lol0'"):
        discover(source(url), *DEC1, fetcher())
    assert time.monotonic() - started < 1.0
    with pytest.raises(DiscoveryError, match="refused XML"):  # defusedxml behind the guard refuses too
        sitemaps.parse_xml(bomb, "test")
