"""Discovery over every feed and sitemap of the test suite and the sample site, dumped as JSON.

Runs :func:`conflict_ingest.sources.registry.discover` over

- the sample site's ``feed.xml`` and ``sitemap.xml`` (with ``sitemaps/``), served over real HTTP on
  127.0.0.1 and read through the project's own :class:`~conflict_ingest.fetch.client.Fetcher`;
- the feeds and sitemaps written inline in ``tests/unit/test_sources.py`` (imported from it, served
  from memory as the tests do), including the broken and hostile ones;
- the benchmark site's generated feed (``scripts/bench_site.py``, 50 pages),

for each single UTC day from 2016-11-15 to 2016-12-15 and one wide window, and prints one JSON
document: per case and window, the URL and the date (``published`` as the pipeline writes it) of
each entry found, or the name of the error raised. The sample site's host and port are written as
``SITE``, so two runs compare byte for byte.

It was written for issue 15 (feed and sitemap parsing moved to feedparser and ``sources/sitemaps.py``)
and run on main before the change and on the branch after it: the two outputs were identical.
``tests/fixtures/sources_equivalence.json`` is the output of the old, hand-written parser;
``tests/unit/test_sources_equivalence.py`` runs this script's cases and compares them to it.

    .venv/bin/python scripts/sources_equivalence.py > /tmp/after.json
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import http.server
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SITE = ROOT / "include" / "sample_site"
TESTS_FILE = ROOT / "tests" / "unit" / "test_sources.py"
FIRST_DAY = dt.date(2016, 11, 15)
LAST_DAY = dt.date(2016, 12, 15)
WIDE = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
BENCH_PAGES = 50


def windows() -> list[tuple[dt.date, dt.date]]:
    days = (LAST_DAY - FIRST_DAY).days + 1
    out = [(FIRST_DAY + dt.timedelta(d), FIRST_DAY + dt.timedelta(d + 1)) for d in range(days)]
    return [*out, WIDE]


class MemoryFetcher:
    """Serves fixed bodies by URL (a status code for an error), as tests/unit/test_sources.py does."""

    def __init__(self, pages: dict[str, bytes | int]) -> None:
        self.pages = pages

    def fetch(self, url: str, **kwargs: object) -> Any:
        from conflict_ingest.fetch.client import FetchResult

        page = self.pages.get(url, 404)
        if isinstance(page, int):
            return FetchResult(url=url, final_url=url, status=page, error=f"HTTP {page}")
        return FetchResult(url=url, final_url=url, status=200, content_type="application/xml", body=page)


def _tests_module() -> Any:
    spec = importlib.util.spec_from_file_location("sources_equivalence_tests", TESTS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def memory_cases() -> dict[str, tuple[Any, MemoryFetcher]]:
    """(source, fetcher) per case: the test suite's inline documents, served as its tests serve them."""
    from conflict_ingest.sources.registry import Source

    t = _tests_module()
    n = "https://n.example"

    def src(url: str, kind: str = "rss", **kw: Any) -> Any:
        return Source(id="t", kind=kind, url=url, **kw)

    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;'
        b'&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<rss version="2.0"><channel><item><title>&lol2;</title>'
        b"<link>https://n.example/a</link>\n<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item>"
        b"</channel></rss>"
    )
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<rss version="2.0"><channel><item><title>&xxe;</title><link>https://n.example/a</link>\n'
        b"<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    sloppy = (
        b"<rss version='2.0'><channel><item><title>Raids & strikes</title>"
        b"<link>https://n.example/story?id=7&src=rss</link>"
        b"<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    cp1252 = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><item>'
        "<title>Yemen\u2019s capital</title><link>https://n.example/y</link>"
        "<pubDate>Thu, 01 Dec 2016 12:00:00 GMT</pubDate></item></channel></rss>"
    ).encode("cp1252")
    index_pages: dict[str, bytes | int] = {
        f"{n}/sitemap.xml": t._index(
            (f"{n}/sm-old.xml", "2016-10-31"), ("/sm-dec.xml", "2016-12-02"), (f"{n}/sm-undated.xml", None)
        ),
        f"{n}/sm-old.xml": t._urlset((f"{n}/old", "2016-12-01")),
        f"{n}/sm-dec.xml": t._urlset((f"{n}/dec1", "2016-12-01"), (f"{n}/dec2", "2016-12-02")),
        f"{n}/sm-undated.xml": t._urlset((f"{n}/und", "2016-12-01")),
    }
    bounded: dict[str, bytes | int] = {
        f"{n}/sitemap.xml": t._index(
            (f"{n}/sitemap.xml", None), *[(f"{n}/sm{i}.xml", None) for i in range(10)]
        )
    }
    for i in range(10):
        bounded[f"{n}/sm{i}.xml"] = t._urlset((f"{n}/p{i}", "2016-12-01"))
    nested: dict[str, bytes | int] = {
        f"{n}/i{i}.xml": t._index((f"{n}/i{i + 1}.xml", None)) for i in range(10)
    }
    nested[f"{n}/i10.xml"] = t._urlset((f"{n}/deep", "2016-12-01"))

    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_site

    bench_pages = [bench_site.Page(f"articles/{i:05d}-page.html", f"Page {i}") for i in range(BENCH_PAGES)]
    bench_feed = bench_site.feed_xml(bench_pages, dt.date(2016, 12, 1)).encode()
    bench_base = "http://bench.example"

    return {
        "rss": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": t.RSS})),
        "atom": (src(f"{n}/news/atom.xml", "atom"), MemoryFetcher({f"{n}/news/atom.xml": t.ATOM})),
        "atom-declared-rss": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": t.ATOM})),
        "urlset-news": (src(f"{n}/sitemap.xml", "sitemap"), MemoryFetcher({f"{n}/sitemap.xml": t.URLSET})),
        "sitemap-index": (src(f"{n}/sitemap.xml", "sitemap"), MemoryFetcher(index_pages)),
        "sitemap-index-bounded": (src(f"{n}/sitemap.xml", "sitemap", max_sitemaps=4), MemoryFetcher(bounded)),
        "sitemap-index-nested": (src(f"{n}/i0.xml", "sitemap"), MemoryFetcher(nested)),
        "rss-entity-bomb": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": bomb})),
        "rss-external-entity": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": xxe})),
        "rss-bare-ampersands": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": sloppy})),
        "rss-windows-1252": (src(f"{n}/feed"), MemoryFetcher({f"{n}/feed": cp1252})),
        "rss-truncated": (src(f"{n}/bad"), MemoryFetcher({f"{n}/bad": b"<rss><channel>"})),
        "html-not-a-feed": (src(f"{n}/html"), MemoryFetcher({f"{n}/html": b"<html></html>"})),
        "feed-404": (src(f"{n}/gone"), MemoryFetcher({})),
        "sitemap-billion-laughs": (
            src(f"{n}/sitemap.xml", "sitemap"),
            MemoryFetcher({f"{n}/sitemap.xml": t.billion_laughs("urlset")}),
        ),
        "bench-feed": (src(f"{bench_base}/feed.xml"), MemoryFetcher({f"{bench_base}/feed.xml": bench_feed})),
    }


@contextmanager
def sample_site() -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

    handler = functools.partial(Quiet, directory=str(SAMPLE_SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_case(
    discover: Callable[..., Any], source: Any, fetcher: Any, base: str | None = None
) -> dict[str, Any]:
    from conflict_ingest.errors import ConflictIngestError

    out: dict[str, Any] = {}
    for start, end in windows():
        key = f"{start}/{end}"
        try:
            found = discover(source, start, end, fetcher)
        except (ConflictIngestError, ValueError) as exc:
            out[key] = {"error": type(exc).__name__}
            continue
        entries = []
        for d in found:
            url = d.url if base is None else d.url.replace(base, "SITE")
            entries.append({"url": url, "published": d.published.isoformat() if d.published else None})
        out[key] = entries
    return out


def collect() -> dict[str, Any]:
    """Every case's entries per window (see the module docstring)."""
    from conflict_ingest.fetch.client import Fetcher
    from conflict_ingest.sources.registry import discover, load_sources

    result: dict[str, Any] = {}
    with sample_site() as base:
        sources = {
            s.id: s
            for s in load_sources(
                ROOT / "include" / "sources.yaml", environ={"SAMPLE_SITE_URL": base}, include_disabled=True
            )
        }
        fetcher = Fetcher(rate_limit_per_s=None, retries=0, timeout_s=5)
        for sid in ("sample-rss", "sample-sitemap"):  # no rate limit: the same answers, sooner
            source = dataclasses.replace(sources[sid], rate_limit_per_s=None)
            result[sid] = run_case(discover, source, fetcher, base)
    for name, (source, memory) in memory_cases().items():
        result[name] = run_case(discover, source, memory)
    return result


def summary(result: dict[str, Any]) -> dict[str, int]:
    """Counts: cases, (case, window) runs, entries found over all of them, runs that raised."""
    runs = [v for case in result.values() for v in case.values()]
    return {
        "cases": len(result),
        "runs": len(runs),
        "entries": sum(len(v) for v in runs if isinstance(v, list)),
        "errors": sum(1 for v in runs if isinstance(v, dict)),
    }


def main() -> int:
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    result = collect()
    print(json.dumps(result, indent=1, sort_keys=True))  # noqa: T201 - CLI output
    print(json.dumps(summary(result)), file=sys.stderr)  # noqa: T201 - CLI output
    return 0


if __name__ == "__main__":
    sys.exit(main())
