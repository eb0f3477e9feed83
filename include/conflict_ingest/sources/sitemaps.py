"""Sitemaps: XML ``urlset`` and ``sitemapindex`` (Google News too), gzipped, plain text, robots.txt.

A ``sitemap`` source's ``url`` is one of

- a sitemap: a ``urlset`` (pages, dated by ``<news:publication_date>``, else ``<lastmod>``), a
  ``sitemapindex`` (child sitemaps, followed), a plain-text sitemap (one URL a line; no dates, so
  its pages are never in a day's window: they are counted and logged), or a feed (read as one);
- a robots.txt (path ``/robots.txt``): the sitemaps its ``Sitemap:`` lines name are read as the
  children of an index;
- a site root (path ``/``, no query): that site's robots.txt is read the same way, and when it
  cannot be read or names no sitemap, ``/sitemap.xml``.

Any of these may be gzipped, recognised by content (the gzip magic bytes), whatever the name or
type (``.xml.gz``, ``application/gzip``, ``application/octet-stream``); the decompressed bytes are
capped at the source's ``max_bytes``. Every request goes through the project's fetcher (rate limit,
size cap, private-address refusal, robots.txt) with :data:`~conflict_ingest.fetch.client.SITEMAPS`
(plain text and gzip files accepted, a gzip body handed over undecoded). The walk is bounded: at most ``max_sitemaps``
documents per source and run (robots.txt and the first sitemap included), children nested at most
:data:`MAX_SITEMAP_DEPTH` deep, each URL read once, and a child whose index ``<lastmod>`` is before
the window is not fetched at all.

XML is parsed with :mod:`defusedxml` after :func:`~conflict_ingest.sources.base.xml_root` has looked
at the prolog (no entity is ever expanded). ultimate-sitemap-parser (``usp``) 1.8.1 was tried
first; it is not used because it drops relative ``<loc>`` URLs (the sample site's index would give
no child), never shows an index ``<lastmod>`` to the callback that decides whether to fetch a
child (the walk could not skip stale months), returns what it read of a broken sitemap with only a
log line (no error for the source), decodes every sitemap as UTF-8 and turns a bare day into a
midnight datetime. See ``docs/fetching.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element  # type only; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

from conflict_ingest.sources import feeds
from conflict_ingest.sources.base import (
    FEED_ROOTS,
    SITEMAP_ROOTS,
    Discovered,
    DiscoveryError,
    Fetcher,
    day_of,
    fetch_document,
    http_url,
    parse_feed_date,
    xml_root,
)

if TYPE_CHECKING:
    from conflict_ingest.fetch.client import FetchResult
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

MAX_SITEMAPS = 20  # sitemap files read per source and run, the index (or robots.txt) included
MAX_SITEMAP_DEPTH = 3  # index -> index -> urlset
GZIP_MAGIC = b"\x1f\x8b"
ROBOTS_PATH = "/robots.txt"
DEFAULT_SITEMAP_PATH = "/sitemap.xml"
ROBOTS_SITEMAP_RE = re.compile(r"^\s*site-?map\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
# An "&" that starts no entity or character reference (invalid XML, common in feed URLs).
BARE_AMPERSAND_RE = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


@dataclass
class _Walk:
    source: Source
    start: dt.date
    end: dt.date
    fetcher: Fetcher
    sitemaps_read: int = 0
    visited: set[str] = field(default_factory=set)

    def where(self, url: str) -> str:
        return f"source {self.source.id!r}: {url}"


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """Every page of the source's sitemaps (dated or not; :func:`registry.discover` keeps the window)."""
    if source.url is None:  # pragma: no cover - load_sources guarantees it
        raise ValueError(f"source {source.id!r} has no url")
    walk = _Walk(source=source, start=start, end=end, fetcher=fetcher, sitemaps_read=1, visited={source.url})
    parts = urlsplit(source.url)
    if parts.path == ROBOTS_PATH and not parts.query:
        return _read_robots(walk, source.url, fallback=None)
    if parts.path in ("", "/") and not parts.query:
        robots = urljoin(source.url, ROBOTS_PATH)
        walk.visited.add(robots)
        return _read_robots(walk, robots, fallback=urljoin(source.url, DEFAULT_SITEMAP_PATH))
    return _read_document(walk, source.url, depth=0)


def read_fetched(
    source: Source, start: dt.date, end: dt.date, fetcher: Fetcher, result: FetchResult
) -> list[Discovered]:
    """The pages of a document the caller already fetched as the source's ``url`` (a feed kind's)."""
    url = source.url or result.url
    walk = _Walk(source=source, start=start, end=end, fetcher=fetcher, sitemaps_read=1, visited={url})
    return _read_body(walk, url, result, depth=0)


# --- parsing ---------------------------------------------------------------------------------------------


def parse_xml(body: bytes, where: str) -> Element:
    """Parse a sitemap with defusedxml: no entity expansion, no DTD-declared entities.

    A document that is not well-formed is parsed once more with bare ``&`` escaped (``&`` that
    does not start a reference -> ``&amp;``), as sitemaps in the wild carry them in URLs.
    """
    body = body.lstrip()
    try:
        return _safe_parse(body)
    except DefusedXmlException as exc:
        raise DiscoveryError(f"{where}: refused XML ({type(exc).__name__}: {exc})") from exc
    except ParseError as exc:
        repaired = BARE_AMPERSAND_RE.sub(b"&amp;", body)
        if repaired != body:
            try:
                root = _safe_parse(repaired)
            except (ParseError, DefusedXmlException):
                pass
            else:
                logger.warning("%s: not well-formed XML (%s); read with bare '&' escaped", where, exc)
                return root
        raise DiscoveryError(f"{where}: not well-formed XML ({exc})") from exc


def _safe_parse(body: bytes) -> Element:
    root: Element = safe_fromstring(body)
    return root


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) == name]


def _child_text(elem: Element, names: Iterable[str]) -> str | None:
    """Text of the first direct child named one of ``names`` (tried in order), or None."""
    for name in names:
        for node in elem:
            if _local(node.tag) == name and node.text and node.text.strip():
                return node.text.strip()
    return None


def _news_text(entry: Element, name: str) -> str | None:
    """A Google News sitemap field (``<news:news><news:NAME>``) of a sitemap ``<url>``."""
    for news in _children(entry, "news"):
        text = _child_text(news, (name,))
        if text:
            return text
    return None


def parse_sitemap(root: Element, base_url: str) -> tuple[list[Discovered], list[Discovered]]:
    """A ``urlset`` gives pages; a ``sitemapindex`` gives child sitemaps. Returns (pages, sitemaps).

    A page's date is its ``<news:publication_date>`` (Google News sitemaps), else its ``<lastmod>``;
    relative ``<loc>`` URLs are resolved against the sitemap's own URL.
    """
    pages: list[Discovered] = []
    children: list[Discovered] = []
    kind = _local(root.tag)
    entry_tag = "url" if kind == "urlset" else "sitemap"
    for entry in _children(root, entry_tag):
        url = http_url(_child_text(entry, ("loc",)), base_url)
        if url is None:
            continue
        date_text = _news_text(entry, "publication_date") or _child_text(entry, ("lastmod",))
        found = Discovered(url=url, published=parse_feed_date(date_text), title=_news_text(entry, "title"))
        (pages if kind == "urlset" else children).append(found)
    return pages, children


def parse_text_sitemap(body: bytes) -> list[Discovered]:
    """A plain-text sitemap: one absolute http(s) URL a line (UTF-8); other lines are ignored."""
    out: list[Discovered] = []
    for line in body.decode("utf-8-sig", errors="replace").splitlines():
        url = line.strip()
        if url and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
            out.append(Discovered(url=url))
    return out


def robots_sitemaps(body: bytes, robots_url: str) -> list[str]:
    """The sitemap URLs a robots.txt names in ``Sitemap:`` lines, in order, each once."""
    text = body.decode("utf-8", errors="replace")
    urls = (http_url(m.group(1), robots_url) for m in ROBOTS_SITEMAP_RE.finditer(text))
    return list(dict.fromkeys(u for u in urls if u))


def gunzip(body: bytes, max_bytes: int, where: str) -> bytes:
    """``body`` decompressed if it is gzip data (by its magic bytes), never past ``max_bytes``."""
    if not body.startswith(GZIP_MAGIC):
        return body  # not gzip (a .gz name served decoded, with Content-Encoding: gzip, is plain)
    out: list[bytes] = []
    total = 0
    data = body
    try:
        while data.startswith(GZIP_MAGIC):  # concatenated members are one file
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = inflater.decompress(data, max_bytes - total + 1)
            while True:
                total += len(chunk)
                if total > max_bytes:
                    raise DiscoveryError(
                        f"{where}: gzipped sitemap exceeds max_bytes {max_bytes} decompressed"
                    )
                out.append(chunk)
                if not inflater.unconsumed_tail:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, max_bytes - total + 1)
            if not inflater.eof:
                raise DiscoveryError(f"{where}: truncated gzip data")
            data = inflater.unused_data
    except zlib.error as exc:
        raise DiscoveryError(f"{where}: not valid gzip data ({exc})") from exc
    return b"".join(out)


# --- the walk --------------------------------------------------------------------------------------------


def _fetch(walk: _Walk, url: str) -> FetchResult:
    """A sitemap, robots.txt or text sitemap: XML, plain text or a gzip file (handed over undecoded)."""
    from conflict_ingest.fetch.client import SITEMAPS  # on use: discovery's import stays light

    return fetch_document(walk.source, url, walk.fetcher, accept=SITEMAPS)


def _read_document(walk: _Walk, url: str, depth: int) -> list[Discovered]:
    return _read_body(walk, url, _fetch(walk, url), depth)


def _read_body(walk: _Walk, url: str, result: FetchResult, depth: int) -> list[Discovered]:
    where = walk.where(url)
    body = gunzip(result.body, walk.source.max_bytes, where)
    kind = xml_root(body, where)
    base = result.final_url or url
    if kind is None:
        pages = parse_text_sitemap(body)
        if not pages:
            raise DiscoveryError(f"{where} is neither a feed nor a sitemap (text without a URL)")
        logger.info("%s: plain-text sitemap, %d URLs (undated)", where, len(pages))
        return pages
    if kind in FEED_ROOTS:
        return feeds.parse_feed(body, base, where, content_type=result.content_type)
    if kind not in SITEMAP_ROOTS:
        raise DiscoveryError(f"{where} is neither a feed nor a sitemap (root <{kind}>)")
    pages, children = parse_sitemap(parse_xml(body, where), base)
    for child in children:
        pages.extend(_read_child_sitemap(walk, child, depth + 1))
    return pages


def _read_robots(walk: _Walk, robots_url: str, *, fallback: str | None) -> list[Discovered]:
    """The sitemaps a robots.txt names, read as an index's children (``fallback`` if it names none)."""
    sid = walk.source.id
    try:
        named = robots_sitemaps(_fetch(walk, robots_url).body, robots_url)
    except DiscoveryError as exc:
        if fallback is None:
            raise
        logger.warning("source %s: %s; trying %s", sid, exc, fallback)
        named = []
    if not named:
        if fallback is None:
            raise DiscoveryError(f"source {sid!r}: {robots_url} names no sitemap")
        logger.info("source %s: %s names no sitemap; reading %s", sid, robots_url, fallback)
        named = [fallback]
    logger.info("source %s: %s names %d sitemap(s)", sid, robots_url, len(named))
    pages: list[Discovered] = []
    for url in named:
        pages.extend(_read_child_sitemap(walk, Discovered(url=url), depth=1))
    return pages


def _read_child_sitemap(walk: _Walk, child: Discovered, depth: int) -> list[Discovered]:
    sid = walk.source.id
    if child.url in walk.visited:
        return []
    if child.published is not None and day_of(child.published) < walk.start:
        logger.debug("source %s: skipping sitemap %s, last modified before %s", sid, child.url, walk.start)
        return []
    if depth > MAX_SITEMAP_DEPTH:
        logger.warning(
            "source %s: sitemap %s nested deeper than %d; skipped", sid, child.url, MAX_SITEMAP_DEPTH
        )
        return []
    if walk.sitemaps_read >= walk.source.max_sitemaps:
        logger.warning("source %s: read %d sitemaps; %s skipped", sid, walk.source.max_sitemaps, child.url)
        return []
    walk.visited.add(child.url)
    walk.sitemaps_read += 1
    return _read_document(walk, child.url, depth)
