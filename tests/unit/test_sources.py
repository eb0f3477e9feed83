"""Source configuration and discovery: sources.yaml validation, feed/sitemap parsing, date windows."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from tests.helpers import serve_http

from conflict_ingest.fetch.client import Fetcher, FetchResult
from conflict_ingest.sources.registry import (
    Discovered,
    DiscoveryError,
    Source,
    discover,
    load_sources,
    parse_feed_date,
    parse_sources,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES_YAML = ROOT / "include" / "sources.yaml"
SAMPLE_SITE = ROOT / "include" / "sample_site"
SEED_PATH = "/articles/us-coalition-airstrikes-isis-mosul-record-level.html"

D = dt.date


class DictFetcher:
    """Serves fixed bodies by URL and records what was asked for (no network)."""

    def __init__(self, pages: dict[str, bytes | int]) -> None:
        self.pages = pages
        self.calls: list[tuple[str, dict[str, object]]] = []

    def fetch(self, url: str, **kwargs: object) -> FetchResult:
        self.calls.append((url, kwargs))
        page = self.pages.get(url, 404)
        if isinstance(page, int):
            return FetchResult(url=url, final_url=url, status=page, error=f"HTTP {page}")
        return FetchResult(url=url, final_url=url, status=200, content_type="application/xml", body=page)

    @property
    def urls(self) -> list[str]:
        return [u for u, _ in self.calls]


def feed_source(url: str, kind: str = "rss", **kw: object) -> Source:
    return Source(id="t", kind=kind, url=url, **kw)  # type: ignore[arg-type]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- configuration ---------------------------------------------------------------------------------------


def test_defaults_apply_and_source_settings_override(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
defaults: {rate_limit_per_s: 0.5, timeout_s: 10, max_bytes: 1000}
sources:
  - id: a-feed
    kind: rss
    url: https://news.example/feed.xml
  - id: b-map
    kind: sitemap
    url: https://news.example/sitemap.xml
    timeout_s: 3
    allow_private: true
""",
    )
    a, b = load_sources(path, environ={})
    assert a == Source(
        id="a-feed", kind="rss", url="https://news.example/feed.xml", rate_limit_per_s=0.5, timeout_s=10.0,
        max_bytes=1000,
    )  # fmt: skip
    assert b.timeout_s == 3.0 and b.rate_limit_per_s == 0.5 and b.allow_private is True
    assert a.allow_private is False


def test_builtin_defaults_when_file_has_none(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - {id: x, kind: atom, url: 'http://n.example/atom.xml'}\n")
    (src,) = load_sources(path, environ={})
    assert (src.rate_limit_per_s, src.timeout_s, src.max_bytes) == (1.0, 20.0, 5_000_000)


def test_env_references_are_expanded_at_load_time(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
sources:
  - id: s
    kind: rss
    url: "${SITE:-http://127.0.0.1:8765}/feed.xml"
  - id: u
    kind: urls
    urls: ["${SITE:-http://127.0.0.1:8765}/a.html", "${OTHER}/b.html"]
""",
    )
    s, u = load_sources(path, environ={"OTHER": "https://other.example"})
    assert s.url == "http://127.0.0.1:8765/feed.xml"
    assert u.urls == ("http://127.0.0.1:8765/a.html", "https://other.example/b.html")
    s2, _ = load_sources(path, environ={"SITE": "http://127.0.0.1:9999", "OTHER": "https://o.example"})
    assert s2.url == "http://127.0.0.1:9999/feed.xml"


def test_unset_env_reference_without_default_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - {id: s, kind: rss, url: '${NOPE}/feed.xml'}\n")
    with pytest.raises(ValueError, match=r"source 's'.*url.*NOPE is not set"):
        load_sources(path, environ={})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{id: Bad_Id, kind: rss, url: 'http://x.example/f'}", r"sources\[0\]\.id must match"),
        ("{id: s, kind: html, url: 'http://x.example/f'}", r"source 's': kind must be one of"),
        ("{id: s, kind: rss}", r"source 's': url must be a URL"),
        ("{id: s, kind: rss, url: 'ftp://x.example/f'}", r"source 's': url: not an http\(s\) URL"),
        (
            "{id: s, kind: rss, url: 'https://u:fake-pw@x.example/f'}",
            r"source 's': url: URL with credentials refused",
        ),
        ("{id: s, kind: urls, urls: []}", r"source 's': urls must be a non-empty list"),
        ("{id: s, kind: urls, urls: ['http://x.example/a', 'javascript:x']}", r"source 's': urls\[1\]"),
        (
            "{id: s, kind: rss, url: 'http://x.example/f', rate_limit_per_s: -1}",
            r"'s': rate_limit_per_s must be",
        ),
        ("{id: s, kind: rss, url: 'http://x.example/f', max_bytes: 1.5}", r"'s': max_bytes must be a whole"),
        (
            "{id: s, kind: rss, url: 'http://x.example/f', allow_private: 'yes'}",
            r"'s': allow_private must be",
        ),
        (
            "{id: s, kind: rss, url: 'http://x.example/f', rate_limt_per_s: 2}",
            r"'s': unknown field.*rate_limt",
        ),
        (
            "{id: s, kind: rss, url: 'http://x.example/f', urls: ['http://x.example/a']}",
            r"'s': a 'rss' source",
        ),
    ],
)
def test_bad_source_entry_error_names_source_and_field(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, f"sources:\n  - {entry}\n")
    with pytest.raises(ValueError, match=message):
        load_sources(path, environ={})


def test_duplicate_ids_are_rejected() -> None:
    data = {"sources": [{"id": "s", "kind": "urls", "urls": ["http://a.example/"]}] * 2}
    with pytest.raises(ValueError, match="source 's': duplicate id"):
        parse_sources(data, environ={})


def test_file_level_problems_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        load_sources(write(tmp_path, "sources: []\n"), environ={})
    with pytest.raises(ValueError, match="not valid YAML"):
        load_sources(write(tmp_path, "sources: [\n"), environ={})
    with pytest.raises(ValueError, match="defaults: unknown field"):
        load_sources(
            write(
                tmp_path,
                "defaults: {speed: 3}\nsources: [{id: a, kind: urls, urls: ['http://a.example/']}]\n",
            )
        )
    with pytest.raises(ValueError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path, "sources: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_sources(path, environ={})


def test_disabled_sources_are_left_out_unless_asked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  - {id: live, kind: urls, urls: ['http://a.example/']}\n"
        "  - {id: dormant, kind: urls, urls: ['http://b.example/'], enabled: false}\n",
    )
    assert [s.id for s in load_sources(path, environ={})] == ["live"]
    assert [s.id for s in load_sources(path, environ={}, include_disabled=True)] == ["live", "dormant"]


def test_project_sources_yaml_is_valid() -> None:
    sources = load_sources(SOURCES_YAML, environ={}, include_disabled=True)
    by_id = {s.id: s for s in sources}
    assert by_id["sample-rss"].kind == "rss"
    assert by_id["sample-rss"].url == "http://127.0.0.1:8765/feed.xml"
    assert by_id["sample-sitemap"].kind == "sitemap"
    assert by_id["sample-urls"].urls


# --- dates -----------------------------------------------------------------------------------------------


def test_feed_dates_in_the_usual_formats() -> None:
    rfc822 = parse_feed_date("Thu, 01 Dec 2016 09:15:00 -0500")
    assert rfc822 == dt.datetime(2016, 12, 1, 14, 15, tzinfo=dt.UTC)
    assert parse_feed_date("2016-12-01") == D(2016, 12, 1)
    assert parse_feed_date("2016-11-30T14:05:00Z") == dt.datetime(2016, 11, 30, 14, 5, tzinfo=dt.UTC)
    assert parse_feed_date("2016-11-30T14:05:00.123+01:00") == dt.datetime(
        2016, 11, 30, 13, 5, 0, 123000, tzinfo=dt.UTC
    )
    assert parse_feed_date("01 Dec 2016 09:15 GMT") == dt.datetime(2016, 12, 1, 9, 15, tzinfo=dt.UTC)
    assert parse_feed_date("not a date") is None
    assert parse_feed_date("") is None
    assert parse_feed_date(None) is None


# --- RSS / Atom / sitemaps -------------------------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title>
  <item><title>Late on the 30th in New York</title><link>https://n.example/a</link>
        <pubDate>Wed, 30 Nov 2016 23:30:00 -0500</pubDate></item>
  <item><title>Noon on the 1st</title><link>https://n.example/b</link>
        <pubDate>Thu, 01 Dec 2016 12:00:00 +0000</pubDate></item>
  <item><title>Early on the 2nd in Baghdad</title><link>https://n.example/c</link>
        <pubDate>Fri, 02 Dec 2016 01:00:00 +0300</pubDate></item>
  <item><title>The 2nd</title><link>https://n.example/d</link>
        <pubDate>Fri, 02 Dec 2016 10:00:00 +0000</pubDate></item>
  <item><title>No date</title><link>https://n.example/e</link></item>
  <item><title>Relative link</title><link>/f</link><pubDate>Thu, 01 Dec 2016 08:00:00 GMT</pubDate></item>
  <item><title>guid only</title><guid>https://n.example/g</guid><pubDate>Thu, 01 Dec 2016 08:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_rss_items_are_filtered_by_utc_day_of_pubdate() -> None:
    fetcher = DictFetcher({"https://n.example/feed": RSS})
    found = discover(feed_source("https://n.example/feed"), D(2016, 12, 1), D(2016, 12, 2), fetcher)
    # a: 23:30 -0500 on the 30th is 04:30 UTC on the 1st; c: 01:00 +0300 on the 2nd is 22:00 UTC on the 1st.
    assert [d.url for d in found] == [
        "https://n.example/a",
        "https://n.example/b",
        "https://n.example/c",
        "https://n.example/f",
        "https://n.example/g",
    ]
    assert found[1] == Discovered(
        url="https://n.example/b",
        published=dt.datetime(2016, 12, 1, 12, tzinfo=dt.UTC),
        title="Noon on the 1st",
    )


def test_rss_window_is_half_open() -> None:
    fetcher = DictFetcher({"https://n.example/feed": RSS})
    found = discover(feed_source("https://n.example/feed"), D(2016, 12, 2), D(2016, 12, 3), fetcher)
    assert [d.url for d in found] == ["https://n.example/d"]
    assert discover(feed_source("https://n.example/feed"), D(2016, 12, 3), D(2016, 12, 10), fetcher) == []


def test_discovery_passes_source_settings_to_the_fetcher() -> None:
    fetcher = DictFetcher({"https://n.example/feed": RSS})
    source = feed_source("https://n.example/feed", allow_private=True, rate_limit_per_s=3.0, timeout_s=7.0)
    discover(source, D(2016, 12, 1), D(2016, 12, 2), fetcher)
    (_, kwargs) = fetcher.calls[0]
    assert (
        kwargs["allow_private"] is True and kwargs["rate_limit_per_s"] == 3.0 and kwargs["timeout_s"] == 7.0
    )


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>t</title>
  <entry>
    <title>Published inside, updated outside</title>
    <link rel="self" type="application/atom+xml" href="https://n.example/entry/1.atom"/>
    <link rel="alternate" type="text/html" href="https://n.example/one"/>
    <published>2016-12-01T10:00:00Z</published>
    <updated>2016-12-05T10:00:00Z</updated>
  </entry>
  <entry>
    <title>Updated only</title>
    <link href="two"/>
    <updated>2016-12-01T23:59:59Z</updated>
  </entry>
  <entry>
    <title>Published before, updated inside</title>
    <link href="https://n.example/three"/>
    <published>2016-11-20T10:00:00Z</published>
    <updated>2016-12-01T10:00:00Z</updated>
  </entry>
</feed>"""


def test_atom_uses_published_then_updated_and_alternate_link() -> None:
    fetcher = DictFetcher({"https://n.example/news/atom.xml": ATOM})
    source = feed_source("https://n.example/news/atom.xml", kind="atom")
    found = discover(source, D(2016, 12, 1), D(2016, 12, 2), fetcher)
    assert [(d.url, d.title) for d in found] == [
        ("https://n.example/one", "Published inside, updated outside"),
        ("https://n.example/news/two", "Updated only"),
    ]


def test_declared_kind_is_a_hint_the_document_decides() -> None:
    fetcher = DictFetcher({"https://n.example/feed": ATOM})
    found = discover(
        feed_source("https://n.example/feed", kind="rss"), D(2016, 12, 1), D(2016, 12, 2), fetcher
    )
    assert len(found) == 2


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://n.example/p1</loc><lastmod>2016-12-01</lastmod>
       <image:image><image:loc>https://n.example/i.jpg</image:loc><image:title>photo</image:title></image:image></url>
  <url><loc>https://n.example/p2</loc><lastmod>2016-11-30T22:00:00-05:00</lastmod></url>
  <url><loc>https://n.example/p3</loc><lastmod>2016-12-02T00:00:00Z</lastmod></url>
  <url><loc>https://n.example/p4</loc><lastmod>2016-12-09</lastmod>
       <news:news><news:publication_date>2016-12-01T09:00:00Z</news:publication_date>
                  <news:title>Strikes near Mosul</news:title></news:news></url>
  <url><loc>https://n.example/p5</loc></url>
</urlset>"""


def test_sitemap_lastmod_window_and_news_publication_date_first() -> None:
    fetcher = DictFetcher({"https://n.example/sitemap.xml": URLSET})
    found = discover(
        feed_source("https://n.example/sitemap.xml", kind="sitemap"), D(2016, 12, 1), D(2016, 12, 2), fetcher
    )
    assert [(d.url, d.title) for d in found] == [
        ("https://n.example/p1", None),
        ("https://n.example/p2", None),
        ("https://n.example/p4", "Strikes near Mosul"),
    ]
    assert found[0].published == D(2016, 12, 1)


def _index(*children: tuple[str, str | None]) -> bytes:
    items = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</sitemap>"
        for loc, mod in children
    )
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'.encode()
    )


def _urlset(*pages: tuple[str, str]) -> bytes:
    items = "".join(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>" for loc, mod in pages)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode()


def test_sitemap_index_is_followed_and_stale_children_skipped() -> None:
    fetcher = DictFetcher(
        {
            "https://n.example/sitemap.xml": _index(
                ("https://n.example/sm-old.xml", "2016-10-31"),
                ("/sm-dec.xml", "2016-12-02"),
                ("https://n.example/sm-undated.xml", None),
            ),
            "https://n.example/sm-old.xml": _urlset(("https://n.example/old", "2016-12-01")),
            "https://n.example/sm-dec.xml": _urlset(
                ("https://n.example/dec1", "2016-12-01"), ("https://n.example/dec2", "2016-12-02")
            ),
            "https://n.example/sm-undated.xml": _urlset(("https://n.example/und", "2016-12-01")),
        }
    )
    source = feed_source("https://n.example/sitemap.xml", kind="sitemap")
    found = discover(source, D(2016, 12, 1), D(2016, 12, 2), fetcher)
    assert [d.url for d in found] == ["https://n.example/dec1", "https://n.example/und"]
    assert "https://n.example/sm-old.xml" not in fetcher.urls  # last modified before the window


def test_sitemap_index_walk_is_bounded() -> None:
    children = [(f"https://n.example/sm{i}.xml", None) for i in range(10)]
    pages: dict[str, bytes | int] = {
        "https://n.example/sitemap.xml": _index(("https://n.example/sitemap.xml", None), *children)
    }
    for i in range(10):
        pages[f"https://n.example/sm{i}.xml"] = _urlset((f"https://n.example/p{i}", "2016-12-01"))
    fetcher = DictFetcher(pages)
    source = feed_source("https://n.example/sitemap.xml", kind="sitemap", max_sitemaps=4)
    found = discover(source, D(2016, 12, 1), D(2016, 12, 2), fetcher)
    assert len(fetcher.calls) == 4  # the index itself (not re-read) and three children
    assert [d.url for d in found] == ["https://n.example/p0", "https://n.example/p1", "https://n.example/p2"]


def test_nested_index_depth_is_bounded() -> None:
    pages: dict[str, bytes | int] = {
        f"https://n.example/i{i}.xml": _index((f"https://n.example/i{i + 1}.xml", None)) for i in range(10)
    }
    fetcher = DictFetcher(pages)
    found = discover(
        feed_source("https://n.example/i0.xml", kind="sitemap"), D(2016, 12, 1), D(2016, 12, 2), fetcher
    )
    assert found == []
    assert len(fetcher.calls) <= 4


def test_urls_source_yields_all_urls_every_time() -> None:
    source = Source(id="u", kind="urls", urls=("https://n.example/a", "https://n.example/b"))
    fetcher = DictFetcher({})
    for day in (D(2016, 1, 1), D(2030, 5, 5)):
        found = discover(source, day, day + dt.timedelta(days=1), fetcher)
        assert found == [Discovered("https://n.example/a"), Discovered("https://n.example/b")]
    assert fetcher.calls == []


def test_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><item><title>&lol2;</title><link>https://n.example/a</link>
<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"""
    fetcher = DictFetcher({"https://n.example/feed": bomb})
    with pytest.raises(DiscoveryError, match="refused XML"):
        discover(feed_source("https://n.example/feed"), D(2016, 12, 1), D(2016, 12, 2), fetcher)


def test_feed_with_bare_ampersands_is_read_in_recovery_mode() -> None:
    sloppy = (
        b"<rss version='2.0'><channel><item><title>Raids & strikes</title>"
        b"<link>https://n.example/story?id=7&src=rss</link>"
        b"<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    fetcher = DictFetcher({"https://n.example/feed": sloppy})
    found = discover(feed_source("https://n.example/feed"), D(2016, 12, 1), D(2016, 12, 2), fetcher)
    assert [d.url for d in found] == ["https://n.example/story?id=7&src=rss"]


def test_windows_1252_feed_is_decoded() -> None:
    feed = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><item>'
        "<title>Yemen\u2019s capital</title><link>https://n.example/y</link>"
        "<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    ).encode("cp1252")
    fetcher = DictFetcher({"https://n.example/feed": feed})
    (found,) = discover(feed_source("https://n.example/feed"), D(2016, 12, 1), D(2016, 12, 2), fetcher)
    assert found.title == "Yemen\u2019s capital"


def test_unreachable_or_broken_feed_raises_discovery_error() -> None:
    fetcher = DictFetcher(
        {"https://n.example/bad": b"<rss><channel>", "https://n.example/html": b"<html></html>"}
    )
    window = (D(2016, 12, 1), D(2016, 12, 2))
    with pytest.raises(DiscoveryError, match=r"source 't': cannot fetch https://n.example/gone: HTTP 404"):
        discover(feed_source("https://n.example/gone"), *window, fetcher)
    with pytest.raises(DiscoveryError, match="not well-formed"):
        discover(feed_source("https://n.example/bad"), *window, fetcher)
    with pytest.raises(DiscoveryError, match="neither a feed nor a sitemap"):
        discover(feed_source("https://n.example/html"), *window, fetcher)


def test_empty_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty window"):
        discover(feed_source("https://n.example/feed"), D(2016, 12, 2), D(2016, 12, 2), DictFetcher({}))


# --- the bundled sample site, over real HTTP ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_site_url() -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

    handler = functools.partial(Quiet, directory=str(SAMPLE_SITE))
    with serve_http(handler) as base:
        yield base


def _paths(found: list[Discovered], base: str) -> set[str]:
    assert all(d.url.startswith(base + "/") for d in found)
    return {d.url[len(base) :] for d in found}


def test_sample_site_discovery_by_day(sample_site_url: str) -> None:
    sources = {
        s.id: s
        for s in load_sources(
            SOURCES_YAML, environ={"SAMPLE_SITE_URL": sample_site_url}, include_disabled=True
        )
    }
    fetcher = Fetcher(rate_limit_per_s=None, retries=0, timeout_s=5)
    rss, sitemap = sources["sample-rss"], sources["sample-sitemap"]

    day = (D(2016, 12, 1), D(2016, 12, 2))
    assert _paths(discover(rss, *day, fetcher), sample_site_url) == {
        SEED_PATH,
        "/news/2016/12/01/russian-jets-syria-sorties-aleppo.html",
    }
    assert _paths(discover(sitemap, *day, fetcher), sample_site_url) == {
        "/analysis/2016/12/01/raf-tornados-reaper-mosul-update.html"
    }

    three_days = (D(2016, 11, 30), D(2016, 12, 3))
    found = discover(rss, *three_days, fetcher) + discover(sitemap, *three_days, fetcher)
    paths = _paths(found, sample_site_url)
    assert len(paths) == len(found) == 6
    assert {p.split("/")[4] for p in paths if p.startswith(("/news", "/analysis"))} == {"30", "01", "02"}
    assert not any("/2016/11/20/" in p for p in paths)

    outside = discover(rss, D(2016, 11, 20), D(2016, 11, 21), fetcher)
    assert _paths(outside, sample_site_url) == {"/news/2016/11/20/mosul-eastern-districts-fighting.html"}


def test_sample_site_pages_are_served_as_html(sample_site_url: str) -> None:
    fetcher = Fetcher(rate_limit_per_s=None, retries=0, timeout_s=5, allow_private=True)
    seed = fetcher.fetch(sample_site_url + SEED_PATH)
    assert seed.ok(), seed.error
    shared_seed = ROOT.parent / "shared" / "devset" / "seed.html"
    if shared_seed.exists():  # the seed page is copied unchanged
        assert seed.body == shared_seed.read_bytes()
    for path in sorted(SAMPLE_SITE.rglob("*.html")):
        result = fetcher.fetch(sample_site_url + "/" + path.relative_to(SAMPLE_SITE).as_posix())
        assert result.ok(), (path, result.error)
        assert (result.content_type or "").startswith("text/html")


def billion_laughs(root: str) -> bytes:
    """The classic entity bomb: ten levels of ten, a billion 'lol's if expanded."""
    levels = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        levels.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(levels)}]>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://n.example/&lol9;</loc><lastmod>2016-12-01</lastmod></url>"
        f"</{root}>"
    ).encode()


def test_billion_laughs_sitemap_is_refused_without_expanding() -> None:
    import time

    fetcher = DictFetcher({"https://n.example/sitemap.xml": billion_laughs("urlset")})
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match="refused XML"):
        discover(
            feed_source("https://n.example/sitemap.xml", "sitemap"), D(2016, 12, 1), D(2016, 12, 2), fetcher
        )
    assert time.monotonic() - started < 1.0


def test_external_entity_in_feed_is_refused() -> None:
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://n.example/a</link>
<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"""
    fetcher = DictFetcher({"https://n.example/feed": xxe})
    with pytest.raises(DiscoveryError, match="refused XML"):
        discover(feed_source("https://n.example/feed"), D(2016, 12, 1), D(2016, 12, 2), fetcher)


# --- fetch families ----------------------------------------------------------------------------------------


def test_fetch_families_are_the_files_families_plus_the_built_in_two(tmp_path: Path) -> None:
    from conflict_ingest.sources.families import fetch_families, fetch_pool

    path = write(
        tmp_path,
        "sources:\n"
        "  - {id: a, kind: rss, url: 'https://a.example/feed', family: wires}\n"
        "  - {id: b, kind: rss, url: 'https://b.example/feed', family: wires, enabled: false}\n"
        "  - {id: c, kind: rss, url: 'https://c.example/feed', family: gov_sites}\n"
        "  - {id: d, kind: rss, url: 'https://d.example/feed'}\n",
    )
    assert fetch_families(path) == ["default", "gov_sites", "manual", "wires"]
    assert fetch_pool("wires") == "fetch_wires"
    assert {s.id: s.family for s in load_sources(path, include_disabled=True)} == {
        "a": "wires",
        "b": "wires",
        "c": "gov_sites",
        "d": "default",
    }


def test_fetch_families_of_an_unreadable_file_are_the_built_in_two(tmp_path: Path) -> None:
    from conflict_ingest.sources.families import fetch_families

    assert fetch_families(tmp_path / "missing.yaml") == ["default", "manual"]
    assert fetch_families(write(tmp_path, "sources: [unclosed")) == ["default", "manual"]


def test_a_bad_family_name_is_refused_with_the_source_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, "sources:\n  - {id: a, kind: rss, url: 'https://a.example/f', family: 'Wire Services'}\n"
    )
    with pytest.raises(ValueError, match=r"source 'a': family must match"):
        load_sources(path)


# --- ids are whole-string matches ---------------------------------------------------------------------------


@pytest.mark.parametrize("sid", ["wire-a\n", "wire-a\r\n", "\nwire-a", "wire a"])
def test_a_source_id_with_a_trailing_newline_or_blank_is_refused(tmp_path: Path, sid: str) -> None:
    entry = {"id": sid, "kind": "rss", "url": "https://a.example/feed"}
    with pytest.raises(ValueError, match=r"id must match"):
        parse_sources({"sources": [entry]})


def test_a_family_with_a_trailing_newline_is_refused_and_gets_no_fetch_lane(tmp_path: Path) -> None:
    from conflict_ingest.sources.families import fetch_families

    path = write(
        tmp_path,
        'sources:\n  - {id: a, kind: rss, url: "https://a.example/f", family: "wires\\n"}\n',
    )
    with pytest.raises(ValueError, match=r"source 'a': family must match"):
        load_sources(path)
    assert fetch_families(path) == ["default", "manual"]
